"""Granting model permissions to the staff roles, for data migrations.

Every app grants its own permissions to the role groups in a data migration (the matrix is
in docs/permissions.md). This works on the historical ``apps`` a migration is given and
imports no model code, so migrations can share it.
"""


def grant_permissions(apps, app_label: str, grants: dict[str, list[str]]) -> None:
    """Give each role (group) the listed permission codenames of ``app_label``."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure these exist now.
    app_config = apps.get_app_config(app_label)
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def revoke_permissions(apps, app_label: str, grants: dict[str, list[str]]) -> None:
    Permission = apps.get_model("auth", "Permission")
    codenames = sorted({codename for listed in grants.values() for codename in listed})
    for group in apps.get_model("auth", "Group").objects.filter(name__in=grants):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))

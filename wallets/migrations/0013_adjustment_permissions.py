"""Grant maker-checker permissions: operations and administrators may propose and approve
(never their own proposal: the service refuses that); auditors and compliance may view."""

from django.db import migrations

GRANTS = {
    "operations": ["view_adjustment", "propose_adjustment", "approve_adjustment"],
    "administrator": ["view_adjustment", "propose_adjustment", "approve_adjustment"],
    "compliance officer": ["view_adjustment"],
    "auditor": ["view_adjustment"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("wallets")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="wallets", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="wallets", codename__in=sum(GRANTS.values(), []))
        )


class Migration(migrations.Migration):
    dependencies = [("wallets", "0012_adjustments")]
    operations = [migrations.RunPython(grant, revoke)]

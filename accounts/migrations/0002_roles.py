"""Create the staff and customer roles as groups with their permissions.

The permission matrix is documented in docs/permissions.md. Later apps grant their own
permissions to these groups in their own migrations.
"""

from django.db import migrations

ROLES = {
    "customer": [],
    "compliance officer": ["accounts.view_user", "accounts.view_profile", "audit.view_auditevent", "audit.view_securityevent"],
    "loan officer": ["accounts.view_user", "accounts.view_profile"],
    "operations": ["accounts.view_user", "accounts.view_profile", "blockscore.view_jobrun",
                   "django_celery_beat.view_periodictask", "django_celery_beat.change_periodictask"],
    "auditor": ["accounts.view_user", "accounts.view_profile", "accounts.view_preferences",
                "audit.view_auditevent", "audit.view_securityevent", "blockscore.view_jobrun",
                "django_celery_beat.view_periodictask"],
    "administrator": ["accounts.view_user", "accounts.add_user", "accounts.change_user",
                      "accounts.view_profile", "accounts.change_profile", "accounts.view_preferences",
                      "auth.view_group", "audit.view_auditevent", "audit.view_securityevent",
                      "blockscore.view_jobrun", "django_celery_beat.view_periodictask",
                      "django_celery_beat.change_periodictask", "django_celery_beat.view_crontabschedule"],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0001_initial"),
        ("blockscore", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]

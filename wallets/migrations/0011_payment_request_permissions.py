"""Grant the view permissions of payment requests and QR logs to the staff roles (see docs/permissions.md)."""

from django.db import migrations

GRANTS = {
    "operations": ["view_paymentrequest", "view_qrlog"],
    "compliance officer": ["view_paymentrequest", "view_qrlog"],
    "auditor": ["view_paymentrequest", "view_qrlog"],
    "administrator": ["view_paymentrequest", "view_qrlog"],
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
    dependencies = [("wallets", "0010_payment_requests")]
    operations = [migrations.RunPython(grant, revoke)]

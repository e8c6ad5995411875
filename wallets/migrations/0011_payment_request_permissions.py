"""Grant the view permissions of payment requests and QR logs to the staff roles (see docs/permissions.md)."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

GRANTS = {
    "operations": ["view_paymentrequest", "view_qrlog"],
    "compliance officer": ["view_paymentrequest", "view_qrlog"],
    "auditor": ["view_paymentrequest", "view_qrlog"],
    "administrator": ["view_paymentrequest", "view_qrlog"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "wallets", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "wallets", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("wallets", "0010_payment_requests")]
    operations = [migrations.RunPython(grant, revoke)]

"""Grant the deposit and payout permissions to the staff roles (see docs/permissions.md)."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

GRANTS = {
    "operations": ["view_deposit", "view_withdrawal", "confirm_deposit", "decide_withdrawal"],
    "compliance officer": ["view_deposit", "view_withdrawal"],
    "auditor": ["view_deposit", "view_withdrawal"],
    "administrator": ["view_deposit", "view_withdrawal", "confirm_deposit", "decide_withdrawal"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "wallets", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "wallets", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("wallets", "0006_deposits_withdrawals")]
    operations = [migrations.RunPython(grant, revoke)]

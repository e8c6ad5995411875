"""Grant the ledger's permissions to the staff roles (see docs/permissions.md)."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

GRANTS = {
    "operations": ["view_ledgeraccount", "view_journalentry", "view_posting", "freeze_ledgeraccount"],
    "compliance officer": ["view_ledgeraccount", "view_journalentry", "view_posting", "freeze_ledgeraccount"],
    "loan officer": ["view_ledgeraccount"],
    "auditor": ["view_ledgeraccount", "view_journalentry", "view_posting"],
    "administrator": ["view_ledgeraccount", "view_journalentry", "view_posting", "freeze_ledgeraccount"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "wallets", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "wallets", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("wallets", "0003_freeze_permission"), ("accounts", "0002_roles")]
    operations = [migrations.RunPython(grant, revoke)]

"""Grant maker-checker permissions: operations and administrators may propose and approve
(never their own proposal: the service refuses that); auditors and compliance may view."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

GRANTS = {
    "operations": ["view_adjustment", "propose_adjustment", "approve_adjustment"],
    "administrator": ["view_adjustment", "propose_adjustment", "approve_adjustment"],
    "compliance officer": ["view_adjustment"],
    "auditor": ["view_adjustment"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "wallets", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "wallets", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("wallets", "0012_adjustments")]
    operations = [migrations.RunPython(grant, revoke)]

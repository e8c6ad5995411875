"""Grant the FX permissions to the staff roles (see docs/permissions.md)."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

GRANTS = {
    "operations": ["view_fxrate", "add_fxrate", "change_fxrate", "view_fxquote"],
    "compliance officer": ["view_fxrate", "view_fxquote"],
    "auditor": ["view_fxrate", "view_fxquote"],
    "administrator": ["view_fxrate", "add_fxrate", "change_fxrate", "view_fxquote"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "wallets", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "wallets", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("wallets", "0008_fx")]
    operations = [migrations.RunPython(grant, revoke)]

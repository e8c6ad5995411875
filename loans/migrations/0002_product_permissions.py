"""Grant the loan product permissions to the staff roles (see docs/permissions.md)."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

GRANTS = {
    "loan officer": ["view_loanproduct"],
    "auditor": ["view_loanproduct"],
    "administrator": ["view_loanproduct", "add_loanproduct", "change_loanproduct"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "loans", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "loans", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_products"), ("accounts", "0002_roles")]
    operations = [migrations.RunPython(grant, revoke)]

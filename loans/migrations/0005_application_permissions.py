"""Grant the loan application permissions to the staff roles (see docs/permissions.md)."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

GRANTS = {
    "loan officer": ["view_loanapplication", "decide_loanapplication"],
    "compliance officer": ["view_loanapplication"],
    "auditor": ["view_loanapplication"],
    "administrator": ["view_loanapplication", "decide_loanapplication"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "loans", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "loans", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("loans", "0004_officer_decisions")]
    operations = [migrations.RunPython(grant, revoke)]

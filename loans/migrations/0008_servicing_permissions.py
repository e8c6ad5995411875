"""Grant the loan servicing permissions to the staff roles (see docs/permissions.md):
loan officers see loans and repayments, record external repayments and propose or
approve (another officer's) write-offs; operations record external repayments (they
match bank receipts); auditors and compliance see."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

GRANTS = {
    "loan officer": ["view_loan", "view_installment", "view_repayment", "record_repayment", "write_off_loan"],
    "operations": ["view_loan", "view_installment", "view_repayment", "record_repayment", "view_servicingrun"],
    "compliance officer": ["view_loan", "view_repayment"],
    "auditor": ["view_loan", "view_installment", "view_repayment", "view_servicingrun"],
    "administrator": [
        "view_loan",
        "view_installment",
        "view_repayment",
        "record_repayment",
        "write_off_loan",
        "view_servicingrun",
    ],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "loans", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "loans", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("loans", "0007_servicing")]
    operations = [migrations.RunPython(grant, revoke)]

"""Grant the compliance console's permissions: compliance officers review KYC, decide
hits and cases and maintain monitoring rules; auditors read everything; loan officers
see KYC status and risk ratings; administrators have what compliance officers have."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

VIEW = [
    "view_kycsubmission",
    "view_kycdocument",
    "view_watchlistversion",
    "view_watchlistentry",
    "view_screeningresult",
    "view_screeninghit",
    "view_case",
    "view_casenote",
    "view_monitoringrule",
    "view_monitoringalert",
    "view_customerrisk",
]
OFFICER = [
    *VIEW,
    "review_kycsubmission",
    "change_screeninghit",
    "decide_case",
    "add_casenote",
    "add_monitoringrule",
    "change_monitoringrule",
]
GRANTS = {
    "compliance officer": OFFICER,
    "administrator": OFFICER,
    "auditor": VIEW,
    "loan officer": ["view_kycsubmission", "view_customerrisk"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "compliance", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "compliance", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_compliance")]
    operations = [migrations.RunPython(grant, revoke)]

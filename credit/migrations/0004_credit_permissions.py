"""Grant the credit console's permissions: loan and compliance officers and auditors read
models, scores and answers; administrators also manage survey questions and activate a
scoring model (model governance)."""

from django.db import migrations

from blockscore.role_grants import grant_permissions, revoke_permissions

READ = ["view_scoringmodel", "view_creditscore", "view_surveyquestion", "view_surveyanswer"]
GRANTS = {
    "loan officer": READ,
    "compliance officer": READ,
    "auditor": READ,
    "administrator": [*READ, "add_surveyquestion", "change_surveyquestion", "activate_scoringmodel"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "credit", GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, "credit", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("credit", "0003_survey_questions")]
    operations = [migrations.RunPython(grant, revoke)]

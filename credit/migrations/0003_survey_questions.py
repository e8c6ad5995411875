"""The survey's questions from the catalogue in code (credit.survey)."""

from django.db import migrations


def sync(apps, schema_editor):
    from credit.survey import QUESTIONS

    SurveyQuestion = apps.get_model("credit", "SurveyQuestion")
    for position, question in enumerate(QUESTIONS):
        if SurveyQuestion.objects.filter(key=question.key).exists():
            continue
        SurveyQuestion.objects.create(
            key=question.key,
            version=1,
            position=position,
            active=True,
            text=question.text,
            help_text=question.help_text,
            answer_type=question.answer_type,
            options=[{"value": value, "label": label} for value, label in question.options],
            min_value=question.min_value,
            max_value=question.max_value,
            feature=question.feature,
        )


class Migration(migrations.Migration):
    dependencies = [("credit", "0002_register_champion")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

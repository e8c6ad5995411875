"""The credit pages of the staff console: models with metrics and fairness, activation
(audited, administrators only), score history with reasons, survey questions."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from audit.models import AuditEvent
from conftest import console_for
from credit.models import CreditScore, ScoringModel, SurveyQuestion
from credit.services.registry import model_register
from credit.services.scores import score_compute
from credit.services.survey import survey_answers_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def challenger(tmp_path) -> ScoringModel:
    """A second model: the champion's artifact under another version, registered."""
    champion = ScoringModel.objects.get(status="champion")
    artifact = json.loads((Path(settings.BASE_DIR) / champion.artifact_path).read_text())
    artifact["version"] = "scorecard-test-challenger"
    path = tmp_path / "challenger.json"
    path.write_text(json.dumps(artifact))
    return model_register(path)


def test_the_model_page_shows_metrics_and_fairness(make_staff):
    model = ScoringModel.objects.get(status="champion")

    page = console_for(make_staff("loan officer")).get(f"/admin/credit/scoringmodel/{model.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "auc" in text and f"{model.metrics['auc']['mean']:.3f}" in text
    assert "Fairness" in text


def test_an_administrator_activates_a_model_and_it_is_audited(make_staff, challenger):
    admin = make_staff("administrator")
    other = challenger
    old = ScoringModel.objects.get(status="champion")

    console_for(admin).post("/admin/credit/scoringmodel/", {"action": "activate", "_selected_action": [other.pk]})

    other.refresh_from_db()
    old.refresh_from_db()
    assert other.status == "champion" and old.status == "challenger"
    assert AuditEvent.objects.filter(action="credit.model_activated", actor=admin).exists()


def test_a_loan_officer_cannot_activate_a_model(make_staff, challenger):
    other = challenger

    response = console_for(make_staff("loan officer")).post(
        "/admin/credit/scoringmodel/", {"action": "activate", "_selected_action": [other.pk]}
    )

    other.refresh_from_db()
    assert other.status == "challenger"
    assert response.status_code in (200, 302, 403)
    assert not AuditEvent.objects.filter(action="credit.model_activated").exists()


def test_score_history_shows_reason_codes(user, make_staff):
    from credit.tests.test_scores import answers

    survey_answers_submit(user=user, answers=answers("worst"))
    score = score_compute(user=user, trigger=CreditScore.Trigger.ON_DEMAND)

    page = console_for(make_staff("compliance officer")).get(f"/admin/credit/creditscore/{score.pk}/change/")

    text = page.content.decode()
    assert page.status_code == 200
    assert score.reason_codes[0]["code"] in text and score.reason_codes[0]["hint"][:30] in text


def test_editing_an_answered_question_in_the_console_makes_a_new_version(user, make_staff):
    survey_answers_submit(user=user, answers={"housing": "rent"})
    question = SurveyQuestion.objects.get(key="housing", active=True)
    form = {
        "text": "Where do you live at the moment?",
        "help_text": "",
        "answer_type": "choice",
        "options": '[{"value": "own", "label": "Own"}, {"value": "rent", "label": "Rent"}, '
        '{"value": "for free", "label": "Rent-free"}]',
        "min_value": "",
        "max_value": "",
        "feature": "housing",
        "position": "12",
        "active": "on",
    }

    response = console_for(make_staff("administrator")).post(
        f"/admin/credit/surveyquestion/{question.pk}/change/", form
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    assert SurveyQuestion.objects.get(key="housing", active=True).version == 2
    assert AuditEvent.objects.filter(action="credit.survey_question_changed").exists()


def test_bad_options_are_refused_by_the_form(make_staff):
    question = SurveyQuestion.objects.get(key="housing", active=True)
    form = {
        "text": question.text,
        "answer_type": "choice",
        "options": '[{"value": "own"}]',
        "feature": "housing",
        "position": "12",
        "active": "on",
    }

    response = console_for(make_staff("administrator")).post(
        f"/admin/credit/surveyquestion/{question.pk}/change/", form
    )

    assert response.status_code == 200 and "Options must be" in response.content.decode()
    assert SurveyQuestion.objects.filter(key="housing").count() == 1

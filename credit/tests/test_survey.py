"""The survey: questions from the catalogue, answers validated, history kept."""

import pytest

from audit.models import AuditEvent
from blockscore.exceptions import ValidationFailed
from conftest import client_for
from credit.models import SurveyAnswer, SurveyQuestion
from credit.services.survey import survey_answers_submit, survey_question_save
from credit.survey import QUESTIONS

pytestmark = pytest.mark.django_db


def test_the_catalogue_is_in_the_database_after_migrate():
    keys = set(SurveyQuestion.objects.filter(active=True).values_list("key", flat=True))

    assert keys == {question.key for question in QUESTIONS}


def test_changing_an_answered_question_makes_a_new_version_and_old_answers_stay(user, make_staff):
    survey_answers_submit(user=user, answers={"housing": "rent"})
    admin = make_staff("administrator")
    question = SurveyQuestion.objects.get(key="housing", active=True)
    question.text = "Where do you live now?"

    saved = survey_question_save(question=question, actor=admin)

    assert saved.version == 2 and saved.active
    assert SurveyQuestion.objects.get(key="housing", version=1).active is False
    answer = SurveyAnswer.objects.get(user=user, key="housing")
    assert answer.question.version == 1 and answer.superseded_at is None
    event = AuditEvent.objects.get(action="credit.survey_question_changed", actor=admin)
    assert event.changes["text"]["after"] == "Where do you live now?"


def test_an_unanswered_question_is_edited_in_place(make_staff):
    question = SurveyQuestion.objects.get(key="telephone", active=True)
    question.help_text = "A landline or a contract mobile."

    saved = survey_question_save(question=question, actor=make_staff("administrator"))

    assert saved.pk == question.pk and saved.version == 1


def test_a_choice_question_needs_valid_options(make_staff):
    question = SurveyQuestion.objects.get(key="housing", active=True)
    question.options = [{"value": "own"}]

    with pytest.raises(ValidationFailed):
        survey_question_save(question=question, actor=make_staff("administrator"))


def test_answers_are_validated_and_all_or_nothing(user):
    client = client_for(user)

    bad_choice = client.post(
        "/api/v1/credit/survey/answers", {"answers": {"housing": "castle", "savings": "... >= 1000 DM"}}, format="json"
    )
    out_of_range = client.post("/api/v1/credit/survey/answers", {"answers": {"loan_amount": 5}}, format="json")
    unknown = client.post("/api/v1/credit/survey/answers", {"answers": {"shoe_size": "42"}}, format="json")

    assert bad_choice.status_code == 400
    problem = bad_choice.json()
    assert problem["code"] == "invalid_answer" and problem["question"] == "housing"
    assert problem["allowed"] == ["own", "rent", "for free"]
    assert out_of_range.status_code == 400 and out_of_range.json()["min"] == 100
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_question"
    assert not SurveyAnswer.objects.filter(user=user).exists()  # savings was valid, but not written either


def test_a_new_answer_supersedes_the_old_one_and_history_is_kept(user):
    client = client_for(user)
    client.post("/api/v1/credit/survey/answers", {"answers": {"housing": "rent", "loan_amount": "2500"}}, format="json")

    response = client.post("/api/v1/credit/survey/answers", {"answers": {"housing": "own"}}, format="json")

    assert response.status_code == 200
    history = list(SurveyAnswer.objects.filter(user=user, key="housing").order_by("answered_at", "id"))
    assert [(a.value, a.superseded_at is None) for a in history] == [("rent", False), ("own", True)]
    current = {item["key"]: item["value"] for item in client.get("/api/v1/credit/survey/answers").json()}
    assert current == {"housing": "own", "loan_amount": "2500"}


def test_the_same_answer_again_writes_nothing(user):
    survey_answers_submit(user=user, answers={"housing": "rent"})
    survey_answers_submit(user=user, answers={"housing": "rent"})

    assert SurveyAnswer.objects.filter(user=user).count() == 1


def test_questions_show_options_and_the_customers_answers(user, other_user):
    survey_answers_submit(user=other_user, answers={"housing": "own"})
    survey_answers_submit(user=user, answers={"housing": "rent"})

    questions = {q["key"]: q for q in client_for(user).get("/api/v1/credit/survey/questions").json()}

    assert questions["housing"]["answer"] == "rent"
    assert questions["savings"]["answer"] is None
    assert {"value": "rent", "label": "I rent"} in questions["housing"]["options"]
    assert questions["loan_amount"]["answer_type"] == "integer"
    assert questions["housing"]["required"] is True  # an input of the champion model
    assert questions["telephone"]["required"] is False  # asked, but the model does not use it

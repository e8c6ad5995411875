"""Scores through the API: computed from answers and platform data, history, refresh,
alerts and milestones, and nightly rescoring."""

import pytest
from django.core import mail
from django.db import connection

from blockscore.models import JobRun
from conftest import client_for
from credit.models import CreditScore, ScoreAlert, ScoreMilestone, ScoringModel, SurveyAnswer
from credit.services import rescoring
from credit.services.registry import champion_scorecard
from credit.services.survey import survey_answers_submit
from credit.survey import FEATURE_TO_KEY, QUESTIONS_BY_KEY
from credit.tasks import nightly_rescore
from wallets.tests.factories import funded_wallet

pytestmark = pytest.mark.django_db

NUMERIC_CANDIDATES = {
    "duration_in_month": [6, 12, 18, 24, 36, 48, 60, 72],
    "credit_amount": [500, 1000, 2000, 3000, 5000, 8000, 12000, 15000],
}


def _candidates(feature):
    question = QUESTIONS_BY_KEY[FEATURE_TO_KEY[feature.name]]
    if question.answer_type == "integer":
        return NUMERIC_CANDIDATES[feature.name]
    values = [value for value, _label in question.options]
    return [int(value) for value in values] if feature.kind == "numeric" else values


def answers(extreme: str) -> dict:
    """Survey answers that give the best (or worst) points on every input of the champion."""
    _model, scorecard = champion_scorecard()
    base = {feature.name: _candidates(feature)[0] for feature in scorecard.features}
    chosen = {}
    for feature in scorecard.features:
        by_points = {
            value: scorecard.score({**base, feature.name: value}).points[feature.name] for value in _candidates(feature)
        }
        pick = max if extreme == "best" else min
        chosen[FEATURE_TO_KEY[feature.name]] = str(pick(by_points, key=by_points.get))
    return chosen


def test_the_score_needs_the_survey_first(user):
    response = client_for(user).get("/api/v1/credit/score")

    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "survey_incomplete"
    _model, scorecard = champion_scorecard()
    assert set(problem["missing"]) == {FEATURE_TO_KEY[f.name] for f in scorecard.features}
    assert not CreditScore.objects.exists()


def test_no_active_model_is_a_clear_503(user):
    ScoringModel.objects.update(status="challenger")

    response = client_for(user).get("/api/v1/credit/score")

    assert response.status_code == 503 and response.json()["code"] == "no_active_model"


def test_a_score_explains_itself_and_is_not_recomputed_for_nothing(user):
    survey_answers_submit(user=user, answers=answers("worst"))
    client = client_for(user)

    first = client.get("/api/v1/credit/score")
    again = client.get("/api/v1/credit/score")

    assert first.status_code == 200, first.content
    body = first.json()
    assert 300 <= body["score"] <= 850 and body["band"] == "poor"
    assert 1 <= len(body["reason_codes"]) <= 4
    costs = [reason["points_lost"] for reason in body["reason_codes"]]
    assert costs == sorted(costs, reverse=True) and costs[0] > 0
    assert all(reason["text"] and reason["hint"] and reason["code"] for reason in body["reason_codes"])
    assert body["model_version"] == ScoringModel.objects.get(status="champion").version
    assert {item["source"].split(":")[0] for item in body["inputs"]} == {"survey"}
    assert again.json()["id"] == body["id"] and CreditScore.objects.count() == 1


def test_wallet_balances_override_the_checking_account_answer(user):
    survey_answers_submit(user=user, answers={**answers("worst"), "checking_account": "no checking account"})
    funded_wallet("500.00", currency="EUR", owner=user)

    body = client_for(user).get("/api/v1/credit/score").json()

    checking = {item["feature"]: item for item in body["inputs"]}["status_of_existing_checking_account"]
    assert checking["source"] == "wallets"
    assert checking["value"] == "... >= 200 DM / salary assignments for at least 1 year"


def test_refresh_is_limited_and_history_is_paginated(user):
    survey_answers_submit(user=user, answers=answers("worst"))
    client = client_for(user)
    client.get("/api/v1/credit/score")  # computed on demand: one history row

    first = client.post("/api/v1/credit/score/refresh")  # a refresh always records a new one
    second = client.post("/api/v1/credit/score/refresh")

    assert first.status_code == 201
    assert second.status_code == 429 and second.json()["code"] == "refresh_too_soon"
    assert int(second["Retry-After"]) > 3000
    history = client.get("/api/v1/credit/history?page_size=1").json()
    assert [row["trigger"] for row in history["results"]] == ["refresh"] and history["next"]
    older = client.get(history["next"]).json()
    assert [row["trigger"] for row in older["results"]] == ["on_demand"] and older["next"] is None


def test_moving_up_bands_alerts_mails_and_records_a_milestone(user, django_capture_on_commit_callbacks, settings):
    settings.SCORE_REFRESH_INTERVAL_SECONDS = 0
    client = client_for(user)
    survey_answers_submit(user=user, answers=answers("worst"))
    low = client.post("/api/v1/credit/score/refresh").json()
    survey_answers_submit(user=user, answers=answers("best"))

    with django_capture_on_commit_callbacks(execute=True):
        high = client.post("/api/v1/credit/score/refresh").json()

    assert high["score"] - low["score"] >= 20 and high["band"] != "poor"
    alert = ScoreAlert.objects.get(user=user)
    assert alert.kind == "milestone" and str(high["score"]) in alert.message
    assert ScoreMilestone.objects.filter(user=user, band=high["band"]).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    assert "went up" in mail.outbox[0].subject and str(high["score"]) in mail.outbox[0].body

    listed = client.get("/api/v1/credit/alerts").json()["results"]
    assert [item["id"] for item in listed] == [str(alert.public_id)] and listed[0]["read_at"] is None
    read = client.post(f"/api/v1/credit/alerts/{alert.public_id}/read")
    assert read.status_code == 200 and read.json()["read_at"]


def test_another_customers_alert_is_not_found(user, other_user, settings):
    settings.SCORE_REFRESH_INTERVAL_SECONDS = 0
    survey_answers_submit(user=user, answers=answers("worst"))
    client_for(user).post("/api/v1/credit/score/refresh")
    survey_answers_submit(user=user, answers=answers("best"))
    client_for(user).post("/api/v1/credit/score/refresh")
    alert = ScoreAlert.objects.get(user=user)

    response = client_for(other_user).post(f"/api/v1/credit/alerts/{alert.public_id}/read")

    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.read_at is None


def test_falling_a_band_alerts_without_a_milestone(user, settings):
    settings.SCORE_REFRESH_INTERVAL_SECONDS = 0
    client = client_for(user)
    survey_answers_submit(user=user, answers=answers("best"))
    client.post("/api/v1/credit/score/refresh")
    milestones = ScoreMilestone.objects.count()
    survey_answers_submit(user=user, answers=answers("worst"))

    client.post("/api/v1/credit/score/refresh")

    assert ScoreAlert.objects.get(user=user).kind == "band_down"
    assert ScoreMilestone.objects.count() == milestones


def test_nightly_rescoring_writes_only_what_changed(user, other_user, make_staff):
    third = make_staff("operations")  # staff without answers are not scored
    survey_answers_submit(user=user, answers=answers("worst"))
    survey_answers_submit(user=other_user, answers=answers("best"))

    first = rescoring.rescore_all(batch_size=1)
    second = rescoring.rescore_all()
    survey_answers_submit(user=other_user, answers=answers("worst"))
    run = JobRun.objects.get(pk=nightly_rescore.delay().get())

    assert first["customers"] == 2 and first["rescored"] == 2
    assert second["rescored"] == 0 and second["unchanged"] == 2
    assert run.status == "succeeded" and run.counts["rescored"] == 1 and run.counts["alerts"] == 1
    assert CreditScore.objects.filter(user=other_user).count() == 2
    assert CreditScore.objects.filter(user=user).count() == 1
    assert not CreditScore.objects.filter(user=third).exists()
    assert ScoreAlert.objects.get(user=other_user).kind == "band_down"
    assert set(CreditScore.objects.values_list("trigger", flat=True)) == {"nightly"}


def test_an_incomplete_survey_is_skipped_at_night(user):
    SurveyAnswer.objects.all().delete()
    survey_answers_submit(user=user, answers={"housing": "rent"})

    counts = rescoring.rescore_all()

    assert counts["incomplete"] == 1 and not CreditScore.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads with their own connections")
@pytest.mark.django_db(transaction=True)
def test_nightly_rescoring_on_threads_scores_everyone_once(make_staff):
    from accounts.tests.factories import UserFactory

    customers = [UserFactory() for _ in range(7)]
    for index, customer in enumerate(customers):
        survey_answers_submit(user=customer, answers=answers("best" if index % 2 else "worst"))

    counts = rescoring.rescore_all(batch_size=2, workers=3)  # four batches on three threads

    assert counts["customers"] == 7 and counts["rescored"] == 7
    assert CreditScore.objects.filter(trigger="nightly").count() == 7
    assert rescoring.rescore_all(batch_size=2, workers=3)["unchanged"] == 7


def test_nightly_rows_read_like_on_demand_ones_and_share_their_hash(user):
    survey_answers_submit(user=user, answers=answers("worst"))
    on_demand = client_for(user).get("/api/v1/credit/score").json()

    assert rescoring.rescore_all()["unchanged"] == 1  # same inputs, same hash, same model: nothing written
    CreditScore.objects.all().delete()
    rescoring.rescore_all()
    nightly = client_for(user).get("/api/v1/credit/score").json()

    assert nightly["trigger"] == "nightly" and nightly["id"] != on_demand["id"]
    for field in ("score", "band", "pd", "reason_codes", "inputs", "model_version"):
        assert nightly[field] == on_demand[field], field

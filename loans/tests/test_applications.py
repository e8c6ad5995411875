"""Loan applications through the API: drafts, submission with automatic underwriting, cancelling."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from compliance.models import Case
from compliance.tests.factories import kyc_approved
from conftest import client_for
from credit.models import CreditScore
from credit.services.survey import survey_answers_submit
from credit.tests.test_scores import answers
from loans.models import LoanApplication
from loans.tests.test_products import _product

pytestmark = pytest.mark.django_db

DRAFT = {
    "product": "personal-usd",
    "amount": "1000.00",
    "term": 12,
    "purpose": "education",
    "monthly_income": "4000.00",
    "monthly_expenses": "1000.00",
}


def _draft(client, **changes):
    return client.post("/api/v1/loans/applications", {**DRAFT, **changes})


def _submit(client, application_id):
    return client.post(f"/api/v1/loans/applications/{application_id}/submit")


@pytest.fixture
def verified(user):
    """A customer with approved KYC who has answered the credit survey (a score needs it)."""
    kyc_approved(user)
    survey_answers_submit(user=user, answers=answers("best"))
    return user


def test_a_draft_is_kept_as_asked_and_listed_for_its_owner_only(auth_client, user, other_user):
    _product()

    created = _draft(auth_client)

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["amount"], body["monthly_income"], body["decision"]) == (
        "draft",
        "1000.00",
        "4000.00",
        None,
    )
    assert [item["id"] for item in auth_client.get("/api/v1/loans/applications").json()["results"]] == [body["id"]]
    other = client_for(other_user)
    assert other.get("/api/v1/loans/applications").json()["results"] == []
    for response in (
        other.get(f"/api/v1/loans/applications/{body['id']}"),
        _submit(other, body["id"]),
        other.post(f"/api/v1/loans/applications/{body['id']}/cancel"),
    ):
        assert response.status_code == 404
    assert LoanApplication.objects.get().status == LoanApplication.Status.DRAFT


def test_submitting_scores_the_applicant_afresh_and_stores_the_decision(auth_client, verified):
    _product(min_score=0)
    draft = _draft(auth_client).json()

    submitted = _submit(auth_client, draft["id"])

    assert submitted.status_code == 200, submitted.json()
    body = submitted.json()
    application = LoanApplication.objects.get()
    score = CreditScore.objects.get(user=verified, trigger=CreditScore.Trigger.APPLICATION)
    assert application.score == score and body["score"] == score.score
    assert body["status"] == "approved", body["decision"]
    decision = body["decision"]
    assert decision["outcome"] == "approve" and decision["version"] == application.ruleset_version
    assert decision["recommended_amount"] == "1000.00"
    assert decision["monthly_installment"] == "88.85"
    event = AuditEvent.objects.get(action="loans.application_submitted")
    assert event.changes == {"status": {"before": "draft", "after": "approved"}}
    assert _submit(auth_client, draft["id"]).status_code == 409  # decided: not a draft any more


def test_a_score_below_the_product_minimum_declines_with_the_scores_reasons(auth_client, verified):
    _product(min_score=999)
    draft = _draft(auth_client).json()

    body = _submit(auth_client, draft["id"]).json()

    assert body["status"] == "declined"
    assert "score_below_minimum" in body["decision"]["reasons"]
    score = CreditScore.objects.get(user=verified, trigger=CreditScore.Trigger.APPLICATION)
    codes = [reason["code"] for reason in score.reason_codes]
    adverse = body["decision"]["adverse_action_reasons"]
    assert adverse[: len(codes)] == codes and "score_below_minimum" in adverse
    assert body["decision"]["recommended_amount"] is None


def test_an_installment_that_strains_the_budget_is_referred_with_a_smaller_amount(auth_client, verified):
    _product(min_score=0, max_debt_to_income_percent=Decimal("60"))
    # Disposable 150.00 a month: the 88.85 installment is over half of it.
    draft = _draft(auth_client, monthly_income="1150.00", monthly_expenses="1000.00").json()

    body = _submit(auth_client, draft["id"]).json()

    assert body["status"] == "referred", body["decision"]
    assert "installment_strains_budget" in body["decision"]["reasons"]
    recommended = Decimal(body["decision"]["recommended_amount"])
    assert Decimal("100.00") <= recommended < Decimal("1000.00")
    assert LoanApplication.objects.get().decided_at is None  # a loan officer decides


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("no_kyc", "kyc_not_approved"),
        ("sanctions_case", "compliance_hold"),
        ("confirmed_case", "compliance_hold"),
    ],
)
def test_submission_needs_approved_kyc_and_no_sanctions_case(auth_client, user, setup, code):
    _product(min_score=0)
    survey_answers_submit(user=user, answers=answers("best"))
    if setup != "no_kyc":
        kyc_approved(user)
        status = Case.Status.OPEN if setup == "sanctions_case" else Case.Status.CLOSED_CONFIRMED
        Case.objects.create(subject=user, kind=Case.Kind.SCREENING, summary="OFAC hit", status=status)
    draft = _draft(auth_client).json()

    refused = _submit(auth_client, draft["id"])

    assert refused.status_code == 422 and refused.json()["code"] == code
    assert LoanApplication.objects.get().status == LoanApplication.Status.DRAFT
    assert not CreditScore.objects.filter(trigger=CreditScore.Trigger.APPLICATION).exists()


def test_a_false_positive_case_does_not_hold_an_application(auth_client, verified):
    _product(min_score=0)
    Case.objects.create(
        subject=verified, kind=Case.Kind.SCREENING, summary="namesake", status=Case.Status.CLOSED_FALSE_POSITIVE
    )
    draft = _draft(auth_client).json()

    assert _submit(auth_client, draft["id"]).json()["status"] == "approved"


def test_an_application_is_cancelled_once_before_disbursement(auth_client, verified):
    _product(min_score=0)
    draft = _draft(auth_client).json()

    cancelled = auth_client.post(f"/api/v1/loans/applications/{draft['id']}/cancel", {"reason": "found a cheaper loan"})
    again = auth_client.post(f"/api/v1/loans/applications/{draft['id']}/cancel")
    submitted = _submit(auth_client, draft["id"])

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409 and again.json()["code"] == "invalid_application_state"
    assert submitted.status_code == 409
    event = AuditEvent.objects.get(action="loans.application_cancelled")
    assert event.metadata["reason"] == "found a cheaper loan"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"amount": "50.00"}, 422, "amount_outside_product"),
        ({"term": 48}, 422, "term_outside_product"),
        ({"product": "nothing-like-it"}, 422, "product_unavailable"),
        ({"monthly_income": "0"}, 400, "validation_error"),
        ({"monthly_income": "lots"}, 400, "validation_error"),
        ({"monthly_expenses": "-1.00"}, 400, "validation_error"),
        ({"amount": 1000}, 400, "validation_error"),
        ({"purpose": "holiday on the moon"}, 400, "validation_error"),
        ({"status": "approved"}, 400, "validation_error"),
    ],
)
def test_bad_applications_are_refused_and_nothing_is_kept(auth_client, changes, status, code):
    _product()

    response = _draft(auth_client, **changes)

    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert not LoanApplication.objects.exists()


def test_monthly_expenses_may_be_zero(auth_client):
    _product()

    assert _draft(auth_client, monthly_expenses="0").status_code == 201


def test_without_the_credit_survey_there_is_no_score_and_the_draft_stays(auth_client, user):
    _product(min_score=0)
    kyc_approved(user)
    draft = _draft(auth_client).json()

    refused = _submit(auth_client, draft["id"])

    assert refused.status_code == 409 and refused.json()["code"] == "survey_incomplete"
    assert LoanApplication.objects.get().status == LoanApplication.Status.DRAFT


def test_a_draft_that_no_longer_fits_its_product_is_refused_at_submission(auth_client, verified):
    product = _product(min_score=0)
    draft = _draft(auth_client).json()
    product.max_amount_minor = 50_000  # 500.00: the limits changed after the draft
    product.save()

    refused = _submit(auth_client, draft["id"])

    assert refused.status_code == 422 and refused.json()["code"] == "amount_outside_product"
    assert LoanApplication.objects.get().status == LoanApplication.Status.DRAFT

"""Accepting an approved offer disburses the loan: one balanced ledger entry, once; the
schedule fixed at disbursement."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from compliance.tests.factories import kyc_approved
from conftest import client_for
from credit.services.survey import survey_answers_submit
from credit.tests.test_scores import answers
from loans.models import Installment, Loan, LoanApplication
from loans.tests.test_products import _product
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import system_account
from wallets.tests.factories import funded_wallet

pytestmark = pytest.mark.django_db


def _approved(client, user, **product_terms) -> dict:
    kyc_approved(user)
    survey_answers_submit(user=user, answers=answers("best"))
    _product(min_score=0, **product_terms)
    draft = client.post(
        "/api/v1/loans/applications",
        {
            "product": "personal-usd",
            "amount": "1000.00",
            "term": 12,
            "purpose": "education",
            "monthly_income": "5000.00",
            "monthly_expenses": "1000.00",
        },
    ).json()
    submitted = client.post(f"/api/v1/loans/applications/{draft['id']}/submit").json()
    assert submitted["status"] == "approved", submitted
    return submitted


def _accept(client, application_id, key="accept-1", **body):
    return client.post(f"/api/v1/loans/applications/{application_id}/accept", body, HTTP_IDEMPOTENCY_KEY=key)


def _balance(kind) -> Decimal:
    account = system_account(kind, "USD")
    account.refresh_from_db()
    return account.balance


def test_accepting_pays_the_loan_out_once_less_the_fee(auth_client, user):
    application = _approved(auth_client, user, origination_fee_percent=Decimal("2.00"))

    accepted = _accept(auth_client, application["id"])
    replay = _accept(auth_client, application["id"])
    again = _accept(auth_client, application["id"], key="accept-2")

    assert accepted.status_code == 201, accepted.json()
    loan = accepted.json()
    assert (loan["principal"], loan["origination_fee"], loan["status"]) == ("1000.00", "20.00", "active")
    assert replay.content == accepted.content and replay["Idempotent-Replayed"] == "true"
    assert again.status_code == 409 and again.json()["code"] == "invalid_application_state"
    wallet = LedgerAccount.objects.get(owner=user, currency="USD")
    assert wallet.balance == Decimal("980.00")
    assert _balance(LedgerAccount.Kind.FEE_INCOME) == Decimal("20.00")
    assert _balance(LedgerAccount.Kind.LOAN_RECEIVABLE) == Decimal("-1000.00")
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.LOAN_DISBURSEMENT).count() == 1
    assert Loan.objects.count() == 1
    assert LoanApplication.objects.get().status == LoanApplication.Status.DISBURSED
    call_command("verify_ledger")  # raises on any problem


def test_the_schedule_is_fixed_at_disbursement(auth_client, user):
    application = _approved(auth_client, user)
    loan = _accept(auth_client, application["id"]).json()
    product = Loan.objects.get().product
    product.annual_rate_percent = Decimal("30.000")  # a later change of the product...
    product.save()

    rows = auth_client.get(f"/api/v1/loans/{loan['id']}/schedule").json()

    assert len(rows) == 12 and rows[0]["payment"] == "88.85" and rows[0]["interest"] == "10.00"  # ...changes nothing
    assert sum(Decimal(row["principal"]) for row in rows) == Decimal("1000.00")
    assert rows[0]["due_date"] > loan["start_date"]
    assert Installment.objects.count() == 12
    assert [item["id"] for item in auth_client.get("/api/v1/loans").json()["results"]] == [loan["id"]]


def test_a_wallet_in_another_currency_is_refused_and_nothing_is_paid(auth_client, user):
    application = _approved(auth_client, user)
    euros = funded_wallet("0", currency="EUR", owner=user)

    refused = _accept(auth_client, application["id"], wallet=str(euros.public_id))

    assert refused.status_code == 422 and refused.json()["code"] == "wallet_currency_mismatch"
    assert not Loan.objects.exists() and not JournalEntry.objects.filter(kind="loan_disbursement").exists()
    assert LoanApplication.objects.get().status == LoanApplication.Status.APPROVED


def test_only_an_approved_offer_of_ones_own_is_accepted(auth_client, user, other_user):
    application = _approved(auth_client, user)
    other = client_for(other_user)

    assert _accept(other, application["id"]).status_code == 404
    auth_client.post(f"/api/v1/loans/applications/{application['id']}/cancel")
    cancelled = _accept(auth_client, application["id"], key="after-cancel")
    assert cancelled.status_code == 409 and cancelled.json()["code"] == "invalid_application_state"
    assert not Loan.objects.exists()


def test_another_customers_loan_is_not_found(auth_client, user, other_user):
    application = _approved(auth_client, user)
    loan = _accept(auth_client, application["id"]).json()
    other = client_for(other_user)

    assert other.get(f"/api/v1/loans/{loan['id']}").status_code == 404
    assert other.get(f"/api/v1/loans/{loan['id']}/schedule").status_code == 404
    assert other.get("/api/v1/loans").json()["results"] == []


def test_accepting_needs_an_idempotency_key(auth_client, user):
    application = _approved(auth_client, user)

    refused = auth_client.post(f"/api/v1/loans/applications/{application['id']}/accept", {})

    assert refused.status_code == 400 and refused.json()["code"] == "idempotency_key_required"
    assert not Loan.objects.exists()

"""The loans app's credit feature provider: repayment history and existing credits from
the customers' BlockScore loans, in German Credit categories, for a batch of customers."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from accounts.tests.factories import UserFactory
from credit import features as credit_features
from credit.survey import QUESTIONS
from loans import features
from loans.features import ALL_PAID_DULY_HERE, DELAY_IN_THE_PAST, PAID_DULY_TILL_NOW, loan_history_features
from loans.models import Installment, Loan
from loans.tests.test_portfolio import borrower, disburse, service

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate(timezone=timezone.get_default_timezone())


@pytest.fixture
def registered(monkeypatch):
    """The provider registered as LoansConfig.ready() registers it, in a registry of its own
    for the test (restored afterwards)."""
    monkeypatch.setattr(credit_features, "_providers", {})
    features.register()
    return credit_features


def pay_installments(loan: Loan, *, count: int | None = None, late_days: int = 0) -> None:
    """Pay the first ``count`` installments (all by default) in full, ``late_days`` after
    each due date; their due dates are moved into the past as if time had passed."""
    installments = list(loan.installments.order_by("number"))[:count]
    for installment in installments:
        Installment.objects.filter(pk=installment.pk).update(
            due_date=installment.due_date - timedelta(days=400),
            paid_on=installment.due_date - timedelta(days=400 - late_days),
            principal_paid_minor=F("principal_minor"),
            interest_paid_minor=F("interest_minor"),
        )


def paid_off(loan: Loan, *, late_days: int = 0) -> Loan:
    pay_installments(loan, late_days=late_days)
    return service(loan, status=Loan.Status.PAID_OFF, principal_outstanding_minor=0, closed_on=TODAY)


def history(user) -> dict:
    return loan_history_features([user.pk]).get(user.pk)


def test_a_customer_without_loans_gets_nothing_and_keeps_their_answers():
    user = borrower()
    disburse(borrower(), "1000.00")  # someone else's loan

    assert loan_history_features([user.pk]) == {}


def test_open_loans_paid_on_time_so_far_are_existing_credits_paid_duly():
    user = borrower()
    pay_installments(disburse(user, "1000.00"), count=3)  # three paid on their due dates, the rest not due yet

    assert history(user) == {
        "credit_history": PAID_DULY_TILL_NOW,
        "number_of_existing_credits_at_this_bank": "2",  # this loan and the one being scored
    }


def test_loans_all_paid_off_on_time_are_all_credits_at_this_bank_paid_duly():
    user = borrower()
    paid_off(disburse(user, "1000.00"))
    paid_off(disburse(user, "500.00"))

    assert history(user) == {"credit_history": ALL_PAID_DULY_HERE, "number_of_existing_credits_at_this_bank": "1"}


def test_a_paid_off_loan_and_an_open_one_on_time_are_existing_credits_paid_duly():
    user = borrower()
    paid_off(disburse(user, "1000.00"))
    disburse(user, "500.00")

    assert history(user) == {"credit_history": PAID_DULY_TILL_NOW, "number_of_existing_credits_at_this_bank": "2"}


def test_an_installment_paid_after_its_due_date_is_a_delay_in_the_past_even_once_paid_off():
    user = borrower()
    loan = paid_off(disburse(user, "1000.00"))
    Installment.objects.filter(loan=loan, number=4).update(paid_on=F("due_date") + timedelta(days=1))

    assert history(user)["credit_history"] == DELAY_IN_THE_PAST


def test_an_installment_paid_on_its_due_date_is_on_time():
    user = borrower()
    paid_off(disburse(user, "1000.00"), late_days=0)
    other = borrower()
    paid_off(disburse(other, "1000.00"), late_days=3)

    assert history(user)["credit_history"] == ALL_PAID_DULY_HERE
    assert history(other)["credit_history"] == DELAY_IN_THE_PAST


def test_an_overdue_unpaid_installment_is_a_delay_even_before_the_servicing_job_sees_it():
    user = borrower()
    loan = disburse(user, "1000.00")
    pay_installments(loan, count=2)
    first_unpaid = loan.installments.get(number=3)
    Installment.objects.filter(pk=first_unpaid.pk).update(due_date=TODAY - timedelta(days=1))
    due_today = borrower()
    Installment.objects.filter(loan=disburse(due_today, "1000.00"), number=1).update(due_date=TODAY)

    assert history(user)["credit_history"] == DELAY_IN_THE_PAST
    assert history(due_today)["credit_history"] == PAID_DULY_TILL_NOW  # due today is not late yet


def test_days_past_due_from_the_servicing_job_is_a_delay():
    user = borrower()
    service(disburse(user, "1000.00"), days_past_due=3)

    assert history(user)["credit_history"] == DELAY_IN_THE_PAST


@pytest.mark.parametrize("status", [Loan.Status.DEFAULTED, Loan.Status.WRITTEN_OFF])
def test_a_defaulted_or_written_off_loan_is_a_delay_never_a_critical_account(status):
    user = borrower()
    paid_off(disburse(user, "1000.00"))
    service(disburse(user, "500.00"), status=status, days_past_due=120)

    found = history(user)

    assert found["credit_history"] == DELAY_IN_THE_PAST
    # The defaulted loan is still open (money is owed); a written-off one is closed.
    assert found["number_of_existing_credits_at_this_bank"] == ("2" if status == Loan.Status.DEFAULTED else "1")


def test_existing_credits_count_open_loans_plus_the_one_scored_up_to_four():
    counts = {}
    for open_loans in (1, 2, 3, 4):
        user = borrower()
        for _ in range(open_loans):
            disburse(user, "500.00")
        counts[open_loans] = history(user)["number_of_existing_credits_at_this_bank"]

    assert counts == {1: "2", 2: "3", 3: "4", 4: "4"}


def test_the_values_are_categories_the_survey_and_the_model_know():
    options = {question.feature: {value for value, _label in question.options} for question in QUESTIONS}

    assert {DELAY_IN_THE_PAST, PAID_DULY_TILL_NOW, ALL_PAID_DULY_HERE} <= options[features.CREDIT_HISTORY]
    assert {"1", "2", "3", "4"} == options[features.EXISTING_CREDITS]


def test_a_batch_is_two_queries_for_every_customer(django_assert_num_queries):
    on_time, past_due, paid_late, without = borrower(), borrower(), borrower(), UserFactory()
    disburse(on_time, "1000.00")
    service(disburse(past_due, "1000.00"), days_past_due=10)
    paid_off(disburse(past_due, "600.00"))
    paid_off(disburse(paid_late, "600.00"), late_days=2)
    paid_off(disburse(paid_late, "700.00"))

    with django_assert_num_queries(2):
        found = loan_history_features([on_time.pk, past_due.pk, paid_late.pk, without.pk])

    assert found == {
        on_time.pk: {"credit_history": PAID_DULY_TILL_NOW, "number_of_existing_credits_at_this_bank": "2"},
        past_due.pk: {"credit_history": DELAY_IN_THE_PAST, "number_of_existing_credits_at_this_bank": "2"},
        paid_late.pk: {"credit_history": DELAY_IN_THE_PAST, "number_of_existing_credits_at_this_bank": "1"},
    }
    with django_assert_num_queries(1):
        assert loan_history_features([without.pk]) == {}  # nobody with a loan: no second query


def test_registered_the_loan_history_overrides_the_survey_answers(registered):
    user = borrower()  # answered "critical account/ other credits existing (not at this bank)"
    service(disburse(user, "1000.00"), days_past_due=40)

    found = registered.platform_features(user)

    assert found["credit_history"] == (DELAY_IN_THE_PAST, "loans.history")
    assert found["number_of_existing_credits_at_this_bank"] == ("2", "loans.history")


def test_registering_twice_keeps_one_provider(registered):
    features.register()

    assert registered.registered_providers() == {"loans.history": loan_history_features}

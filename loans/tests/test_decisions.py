"""Loan officers decide referred applications in the console: approve, counter-offer,
decline with reasons; two different officers above the product's threshold."""

from decimal import Decimal

import pytest
from django.core import mail

from audit.models import AuditEvent
from compliance.tests.factories import kyc_approved
from conftest import client_for, console_for
from credit.services.survey import survey_answers_submit
from credit.tests.test_scores import answers
from loans import services
from loans.exceptions import OwnApplication, SecondApproverRequired
from loans.models import LoanApplication
from loans.tests.test_products import _product

pytestmark = pytest.mark.django_db


def _referred(applicant, **product_terms) -> LoanApplication:
    """A submitted application that underwriting referred: the installment strains the budget."""
    kyc_approved(applicant)
    survey_answers_submit(user=applicant, answers=answers("best"))
    product = _product(min_score=0, max_debt_to_income_percent=Decimal("60"), **product_terms)
    draft = services.application_create(
        applicant=applicant,
        product=product,
        amount=Decimal("1000.00"),
        term=12,
        purpose="education",
        monthly_income=Decimal("1150.00"),
        monthly_expenses=Decimal("1000.00"),
    )
    application = services.application_submit(application=draft, actor=applicant)
    assert application.status == LoanApplication.Status.REFERRED, application.decision
    return application


def _decide(console, application, **form):
    return console.post(f"/admin/loans/loanapplication/{application.pk}/decide/", form)


def test_the_object_page_shows_what_an_officer_needs_to_decide(user, make_staff):
    application = _referred(user)
    officer = make_staff("loan officer")

    page = console_for(officer).get(f"/admin/loans/loanapplication/{application.pk}/change/")
    queue = console_for(officer).get("/admin/loans/loanapplication/?queue=awaiting")

    assert page.status_code == 200
    html = page.content.decode()
    assert f"{application.score.score} ({application.score.band})" in html
    assert "installment_strains_budget" in html and "Debt to income" in html
    assert html.count("<tr><td>") >= 12  # the schedule, one row per installment
    assert 'id="loan-decision-form"' in html
    assert user.email in queue.content.decode()


def test_an_officer_approves_a_referred_application_and_the_customer_is_told(
    user, make_staff, django_capture_on_commit_callbacks
):
    application = _referred(user)
    officer = make_staff("loan officer")

    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(console_for(officer), application, decision="approve", note="stable job")

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.APPROVED
    assert (application.approved_amount, application.approved_term, application.decided_by) == (
        Decimal("1000.00"),
        12,
        officer,
    )
    event = AuditEvent.objects.get(action="loans.application_approved")
    assert event.changes == {"status": {"before": "referred", "after": "approved"}} and event.actor == officer
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert "approved" in mail.outbox[0].subject and "1000.00 USD" in mail.outbox[0].body
    seen = client_for(user).get(f"/api/v1/loans/applications/{application.public_id}").json()
    assert (seen["status"], seen["approved_amount"]) == ("approved", "1000.00")


def test_a_counter_offer_lends_less_and_never_more(user, make_staff, django_capture_on_commit_callbacks):
    application = _referred(user)
    console = console_for(make_staff("loan officer"))

    too_much = _decide(console, application, decision="approve", amount="1500.00")
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.REFERRED and too_much.status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        _decide(console, application, decision="approve", amount="600.00", term="6")

    application.refresh_from_db()
    assert (application.status, application.approved_amount, application.approved_term) == (
        "approved",
        Decimal("600.00"),
        6,
    )
    assert AuditEvent.objects.get(action="loans.application_approved").metadata["counter_offer"] is True
    assert "you asked for 1000.00 USD over 12" in mail.outbox[0].body


def test_a_decline_needs_reasons_and_tells_the_customer_them(user, make_staff, django_capture_on_commit_callbacks):
    application = _referred(user)
    console = console_for(make_staff("loan officer"))

    _decide(console, application, decision="decline")  # no reasons: refused
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.REFERRED

    with django_capture_on_commit_callbacks(execute=True):
        _decide(console, application, decision="decline", reasons=["insufficient_income", "excessive_obligations"])

    application.refresh_from_db()
    assert application.status == LoanApplication.Status.DECLINED
    assert application.decline_reasons == ["insufficient_income", "excessive_obligations"]
    assert "Income too low" in mail.outbox[0].body
    assert client_for(user).get(f"/api/v1/loans/applications/{application.public_id}").json()["decline_reasons"] == [
        "insufficient_income",
        "excessive_obligations",
    ]


def test_above_the_threshold_two_different_officers_approve(user, make_staff, django_capture_on_commit_callbacks):
    application = _referred(user, second_approval_above_minor=50_000)  # above 500.00
    first, second = make_staff("loan officer"), make_staff("loan officer")

    with django_capture_on_commit_callbacks(execute=True):
        _decide(console_for(first), application, decision="approve")
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.REFERRED and application.first_approved_by == first
    assert not mail.outbox
    with pytest.raises(SecondApproverRequired):
        services.application_approve(application=application, officer=first)

    with django_capture_on_commit_callbacks(execute=True):
        _decide(console_for(second), application, decision="approve")

    application.refresh_from_db()
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert (application.status, application.decided_by, application.first_approved_by) == ("approved", second, first)
    approvals = AuditEvent.objects.filter(
        action__in=["loans.application_first_approval", "loans.application_approved"]
    ).order_by("id")
    assert [event.actor for event in approvals] == [first, second]


def test_an_amount_above_the_threshold_is_never_approved_automatically(auth_client, user):
    kyc_approved(user)
    survey_answers_submit(user=user, answers=answers("best"))
    product = _product(min_score=0, second_approval_above_minor=50_000)
    draft = services.application_create(
        applicant=user,
        product=product,
        amount=Decimal("1000.00"),
        term=12,
        purpose="education",
        monthly_income=Decimal("9000.00"),
        monthly_expenses=Decimal("1000.00"),
    )

    application = services.application_submit(application=draft, actor=user)

    assert application.decision["outcome"] == "approve"
    assert application.status == LoanApplication.Status.REFERRED and application.approved_amount is None


def test_nobody_decides_their_own_application_and_customers_cannot_decide(make_staff):
    officer = make_staff("loan officer")
    application = _referred(officer)

    with pytest.raises(OwnApplication):
        services.application_approve(application=application, officer=officer)
    page = console_for(officer).get(f"/admin/loans/loanapplication/{application.pk}/change/")
    assert "your own application" in page.content.decode()
    auditor = make_staff("auditor")
    assert _decide(console_for(auditor), application, decision="approve").status_code == 403
    application.refresh_from_db()
    assert application.status == LoanApplication.Status.REFERRED

"""Loan officers' decisions on referred applications: approve (as asked, or a counter-offer
of a smaller amount or another term within the product), or decline with reasons.

Maker-checker: above the product's ``second_approval_above_minor`` an approval takes two
different loan officers. The first approval is recorded (who, when, what was offered)
and the application stays in the queue; a second officer approves that same offer, or
declines. Nobody decides their own application. Every decision is audited and the
customer is e-mailed (after commit, by a Celery task).
"""

from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from blockscore import money
from blockscore.exceptions import ValidationFailed
from blockscore.queue import enqueue
from loans.exceptions import InvalidApplicationState, NotALoanOfficer, OwnApplication, SecondApproverRequired
from loans.models import LoanApplication
from loans.services.applications import application_locked, audit_transition
from loans.services.quotes import loan_quote

DECIDE_PERMISSION = "loans.decide_loanapplication"

# The reasons an officer gives for a decline; the customer is told them (adverse action).
DECLINE_REASONS = {
    "insufficient_income": "Income too low for the amount asked for",
    "excessive_obligations": "Existing obligations too high for the income",
    "credit_history": "Credit history (see the reasons of your credit score)",
    "unverifiable_information": "Information we could not verify",
    "length_of_employment": "Length of employment",
    "policy": "The loan does not meet our lending policy",
}


def _decidable(application: LoanApplication, officer) -> LoanApplication:
    if not officer.has_perm(DECIDE_PERMISSION):
        raise NotALoanOfficer()
    application = application_locked(application)
    if application.applicant_id == officer.pk:
        raise OwnApplication()
    if application.status != LoanApplication.Status.REFERRED:
        raise InvalidApplicationState(
            f"Only a referred application waits for a decision; this one is {application.status}."
        )
    return application


@transaction.atomic
def application_approve(
    *, application: LoanApplication, officer, amount: Decimal | None = None, term: int | None = None, note: str = ""
) -> LoanApplication:
    """Approve a referred application, as asked or as a counter-offer; the first of two
    approvals above the product's threshold."""
    application = _decidable(application, officer)
    product = application.product
    if application.first_approved_by_id is not None:
        # The second approval: of the offer the first officer made, by someone else.
        if application.first_approved_by_id == officer.pk:
            raise SecondApproverRequired()
        offered = (application.approved_amount, application.approved_term)
        if (amount is not None and money.exact(amount, product.currency) != offered[0]) or (
            term is not None and term != offered[1]
        ):
            raise ValidationFailed(
                "The second approval is of the offer the first officer made; decline it to change the offer.",
                code="offer_differs_from_first_approval",
            )
        return _approved(application, officer, note, second=True)
    amount = application.amount if amount is None else money.exact(amount, product.currency)
    term = application.term if term is None else term
    if amount > application.amount:
        raise ValidationFailed("A counter-offer cannot lend more than was asked for.", code="offer_above_request")
    loan_quote(product=product, amount=amount, term=term)  # within the product's limits
    application.approved_amount_minor = money.to_minor_units(amount, product.currency)
    application.approved_term = term
    threshold = product.second_approval_above_minor
    if threshold is not None and application.approved_amount_minor > threshold:
        before = application.status
        application.first_approved_by = officer
        application.first_approved_at = timezone.now()
        application.decision_note = note
        application.save(
            update_fields=[
                "approved_amount_minor",
                "approved_term",
                "first_approved_by",
                "first_approved_at",
                "decision_note",
            ]
        )
        audit_transition(
            "loans.application_first_approval",
            application,
            officer,
            before=before,
            amount=str(amount),
            term=term,
            counter_offer=(amount, term) != (application.amount, application.term),
            note=note,
        )
        return application
    return _approved(application, officer, note, second=False)


def _approved(application: LoanApplication, officer, note: str, *, second: bool) -> LoanApplication:
    before = application.status
    application.status = LoanApplication.Status.APPROVED
    application.decided_by = officer
    application.decided_at = timezone.now()
    if note:
        application.decision_note = note
    application.save()
    audit_transition(
        "loans.application_approved",
        application,
        officer,
        before=before,
        amount=str(application.approved_amount),
        term=application.approved_term,
        counter_offer=(application.approved_amount, application.approved_term)
        != (application.amount, application.term),
        first_approved_by=str(application.first_approved_by.public_id) if second else None,
        note=note,
    )
    enqueue("loans.send_application_decision", application.pk)
    return application


@transaction.atomic
def application_decline(
    *, application: LoanApplication, officer, reasons: list[str], note: str = ""
) -> LoanApplication:
    application = _decidable(application, officer)
    unknown = sorted(set(reasons) - set(DECLINE_REASONS))
    if not reasons or unknown:
        raise ValidationFailed(
            f"Give one or more decline reasons from: {', '.join(DECLINE_REASONS)}.", code="decline_reasons_required"
        )
    before = application.status
    application.status = LoanApplication.Status.DECLINED
    application.decline_reasons = list(dict.fromkeys(reasons))
    application.decided_by = officer
    application.decided_at = timezone.now()
    application.decision_note = note
    application.save()
    audit_transition(
        "loans.application_declined",
        application,
        officer,
        before=before,
        reasons=application.decline_reasons,
        note=note,
    )
    enqueue("loans.send_application_decision", application.pk)
    return application


def application_decision_send(*, application_id: int) -> bool:
    """E-mail the customer an officer's decision (it is in the API too)."""
    application = LoanApplication.objects.select_related("applicant", "product").filter(pk=application_id).first()
    if application is None or application.status not in (
        LoanApplication.Status.APPROVED,
        LoanApplication.Status.DECLINED,
    ):
        return False
    currency = application.product.currency
    if application.status == LoanApplication.Status.APPROVED:
        subject = "Your loan application is approved"
        body = (
            f"We can lend you {money.format_amount(application.approved_amount, currency)} {currency} "
            f"over {application.approved_term} {application.product.frequency} installments"
        )
        if (application.approved_amount, application.approved_term) != (application.amount, application.term):
            asked = money.format_amount(application.amount, currency)
            body += f" (you asked for {asked} {currency} over {application.term})"
        body += ". Accept the offer in the app to receive the money."
    else:
        subject = "About your loan application"
        reasons = "\n".join(f"- {DECLINE_REASONS[code]}" for code in application.decline_reasons)
        body = f"We cannot offer you this loan. The main reasons:\n{reasons}"
    send_mail(
        subject=f"BlockScore: {subject}",
        message=f"Hello,\n\n{body}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[application.applicant.email],
    )
    return True

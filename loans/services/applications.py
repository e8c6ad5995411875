"""Loan applications: draft, submit (automatic underwriting), cancel.

Every transition is a service call that locks the application, checks the state it
leaves, and records an audit event with who, when, why and the previous state
(``loans.application_*``).

Submitting checks the preconditions first (an approved KYC submission; no open or
confirmed sanctions case, ``compliance.services.cases.sanctions_hold``), computes a fresh
credit score (``credit.services.scores.score_compute`` with the ``application`` trigger),
and runs the versioned rule set (``loans.underwriting``) on it: the decision, its reason
codes and the rule set's version are stored with the application.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore import money
from compliance.services.cases import sanctions_hold
from compliance.services.kyc import is_verified
from credit.models import CreditScore
from credit.services.scores import score_compute
from loans import selectors, underwriting
from loans.exceptions import ComplianceHold, InvalidApplicationState, KycNotApproved, ProductUnavailable
from loans.models import Loan, LoanApplication, LoanProduct
from loans.services.quotes import loan_quote, product_schedule

CANCELLABLE = {
    LoanApplication.Status.DRAFT,
    LoanApplication.Status.SUBMITTED,
    LoanApplication.Status.APPROVED,
    LoanApplication.Status.REFERRED,
    LoanApplication.Status.ACCEPTED,
}


def audit_transition(action: str, application: LoanApplication, actor, *, before: str, **metadata) -> None:
    """The audit event of a state transition: who, the state left and the state entered, and why."""
    audit_event_record(
        action=action,
        actor=actor,
        target=application,
        changes={"status": {"before": before, "after": application.status}},
        metadata=metadata,
    )


@transaction.atomic
def application_create(
    *,
    applicant,
    product: LoanProduct,
    amount: Decimal,
    term: int,
    purpose: str,
    monthly_income: Decimal,
    monthly_expenses: Decimal,
) -> LoanApplication:
    """A draft; the amount and term must fit the product (the quote checks them)."""
    if not product.is_active:
        raise ProductUnavailable()
    quote = loan_quote(product=product, amount=amount, term=term)
    application = LoanApplication.objects.create(
        applicant=applicant,
        product=product,
        amount_minor=money.to_minor_units(quote.amount, product.currency),
        term=term,
        purpose=purpose,
        monthly_income_minor=money.to_minor_units(money.exact(monthly_income, product.currency), product.currency),
        monthly_expenses_minor=money.to_minor_units(money.exact(monthly_expenses, product.currency), product.currency),
    )
    audit_transition("loans.application_created", application, applicant, before="")
    return application


def application_locked(application: LoanApplication) -> LoanApplication:
    """The application, locked for this transaction (with its product), to change its state."""
    return LoanApplication.objects.select_for_update().select_related("product").get(pk=application.pk)


@transaction.atomic
def application_submit(*, application: LoanApplication, actor) -> LoanApplication:
    application = application_locked(application)
    if application.status != LoanApplication.Status.DRAFT:
        raise InvalidApplicationState(f"Only a draft can be submitted; this application is {application.status}.")
    applicant = application.applicant
    if not is_verified(applicant):
        raise KycNotApproved()
    if sanctions_hold(applicant):
        raise ComplianceHold()
    product = application.product
    if not product.is_active:
        raise ProductUnavailable()
    # The product's limits may have changed since the draft: the request must still fit.
    loan_quote(product=product, amount=application.amount, term=application.term)
    now = timezone.now()
    score = score_compute(user=applicant, trigger=CreditScore.Trigger.APPLICATION, now=now)
    exposure, monthly_debt = _existing_debt(applicant, product.currency)
    decision = underwriting.underwrite(
        underwriting.Applicant(
            score=score.score,
            score_reasons=tuple(reason["code"] for reason in score.reason_codes),
            monthly_income=application.monthly_income,
            monthly_expenses=application.monthly_expenses,
            existing_monthly_debt=monthly_debt,
            existing_exposure=exposure,
        ),
        underwriting.Terms(
            currency=product.currency,
            amount=application.amount,
            term=application.term,
            frequency=product.frequency,
            interest_method=product.interest_method,
            annual_rate_percent=product.annual_rate_percent,
            min_amount=product.min_amount,
            max_amount=product.max_amount,
            min_score=product.min_score,
            max_debt_to_income_percent=product.max_debt_to_income_percent,
        ),
    )
    outcome = {
        "approve": LoanApplication.Status.APPROVED,
        "refer": LoanApplication.Status.REFERRED,
        "decline": LoanApplication.Status.DECLINED,
    }[decision.outcome]
    if outcome == LoanApplication.Status.APPROVED and application.needs_two_approvals:
        # The rules would approve, but this amount takes two loan officers (maker-checker).
        outcome = LoanApplication.Status.REFERRED
    elif outcome == LoanApplication.Status.APPROVED:
        application.approved_amount_minor, application.approved_term = application.amount_minor, application.term
    before = application.status
    application.status = outcome
    application.score = score
    application.decision = decision_dict(decision)
    application.ruleset_version = decision.version
    application.submitted_at = now
    if outcome != LoanApplication.Status.REFERRED:
        application.decided_at = now
    application.save()
    audit_transition(
        "loans.application_submitted",
        application,
        actor,
        before=before,
        outcome=decision.outcome,
        reasons=list(decision.reasons),
        score=score.score,
        ruleset_version=decision.version,
    )
    return application


@transaction.atomic
def application_cancel(*, application: LoanApplication, actor, reason: str = "") -> LoanApplication:
    application = application_locked(application)
    if application.status not in CANCELLABLE:
        raise InvalidApplicationState(f"An application that is {application.status} cannot be cancelled.")
    before = application.status
    application.status = LoanApplication.Status.CANCELLED
    application.cancelled_at = timezone.now()
    application.save(update_fields=["status", "cancelled_at"])
    audit_transition("loans.application_cancelled", application, actor, before=before, reason=reason)
    return application


def decision_dict(decision) -> dict:
    """The decision as stored (and shown): amounts as strings, as the API shows money."""

    def plain(value):
        return None if value is None else str(value)

    return {
        "outcome": decision.outcome,
        "reasons": list(decision.reasons),
        "adverse_action_reasons": list(decision.adverse_action_reasons),
        "debt_to_income_percent": plain(decision.debt_to_income_percent),
        "monthly_installment": plain(decision.monthly_installment),
        "recommended_amount": plain(decision.recommended_amount),
        "recommended_rate_percent": plain(decision.recommended_rate_percent),
        "version": decision.version,
    }


def _existing_debt(applicant, currency: str) -> tuple[Decimal, Decimal]:
    """Outstanding principal and monthly installments of the applicant's other credit in
    ``currency``: open loans (their outstanding principal and next installment) and offers
    approved or accepted but not yet paid out (the exposure they are about to become)."""
    zero = money.quantize(Decimal(0), currency)
    exposure, monthly = zero, zero
    pending = LoanApplication.objects.filter(
        applicant=applicant,
        product__currency=currency,
        status__in=[LoanApplication.Status.APPROVED, LoanApplication.Status.ACCEPTED],
    ).select_related("product")
    for other in pending:
        rows = product_schedule(other.product, amount=other.amount, term=other.term, start=timezone.localdate())
        exposure += other.amount
        monthly += underwriting.per_month(rows[0].payment, frequency=other.product.frequency, currency=currency)
    exposure += money.from_minor_units(selectors.exposure(applicant).get(currency, 0), currency)
    loans = Loan.objects.filter(borrower=applicant, currency=currency, status__in=Loan.OPEN_STATUSES)
    for loan in loans.prefetch_related("installments"):
        unpaid = [row for row in loan.installments.all() if row.paid_on is None]
        if unpaid:
            nxt = min(unpaid, key=lambda row: row.number)
            payment = money.from_minor_units(nxt.principal_minor + nxt.interest_minor, currency)
            monthly += underwriting.per_month(payment, frequency=loan.frequency, currency=currency)
    return exposure, monthly

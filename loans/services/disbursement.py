"""Accepting an approved offer disburses the loan: one ledger entry, and the schedule fixed.

The entry (kind ``loan_disbursement``) takes the approved amount from the loan receivable
account of the currency: the customer's wallet gets the amount less the origination fee,
fee income gets the fee. Its ledger idempotency key is the application's
(``loan-disbursement:<application id>``), so however the request is retried, a loan is
paid out once; the API's Idempotency-Key replays the answer on top of that. The
schedule (``Installment`` rows) is built from the disbursement's ledger day with the
terms of the approval and stored: it does not change when the product does.
"""

from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_append
from blockscore import money
from loans.exceptions import InvalidApplicationState, WalletCurrencyMismatch
from loans.models import Installment, Loan, LoanApplication
from loans.services.applications import application_locked, audit_transition
from loans.services.quotes import loan_quote
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import Line, entry_post, system_account, wallet_open
from wallets.services.ledger import ledger_day


@transaction.atomic
def application_accept(*, application: LoanApplication, actor, wallet: LedgerAccount | None = None) -> Loan:
    """The customer accepts the approved offer; the loan is disbursed at once."""
    application = application_locked(application)
    if application.status != LoanApplication.Status.APPROVED:
        raise InvalidApplicationState(
            f"Only an approved offer can be accepted; this application is {application.status}."
        )
    product = application.product
    currency = product.currency
    if wallet is None:
        wallet = wallet_open(owner=application.applicant, currency=currency)
    elif wallet.currency != currency:
        raise WalletCurrencyMismatch(f"This loan is paid out in {currency}; the wallet holds {wallet.currency}.")
    quote = loan_quote(
        product=product,
        amount=application.approved_amount,
        term=application.approved_term,
        start=ledger_day(),
    )
    before = application.status
    application.status = LoanApplication.Status.ACCEPTED
    application.save(update_fields=["status"])
    audit_transition("loans.application_accepted", application, actor, before=before)
    lines = [
        Line(system_account(LedgerAccount.Kind.LOAN_RECEIVABLE, currency), -quote.amount),
        Line(wallet, quote.amount_disbursed),
    ]
    if quote.origination_fee:
        lines.append(Line(system_account(LedgerAccount.Kind.FEE_INCOME, currency), quote.origination_fee))
    entry = entry_post(
        kind=JournalEntry.Kind.LOAN_DISBURSEMENT,
        lines=lines,
        memo=f"Loan {product.name}",
        initiator=actor,
        idempotency_key=f"loan-disbursement:{application.public_id}",
        metadata={"application": str(application.public_id)},
    )
    now = timezone.now()
    loan = Loan.objects.create(
        application=application,
        borrower=application.applicant,
        product=product,
        wallet=wallet,
        currency=currency,
        principal_minor=money.to_minor_units(quote.amount, currency),
        origination_fee_minor=money.to_minor_units(quote.origination_fee, currency),
        term=quote.term,
        interest_method=product.interest_method,
        frequency=product.frequency,
        annual_rate_percent=product.annual_rate_percent,
        apr_percent=quote.apr,
        start_date=quote.start,
        disbursement_entry=entry,
        disbursed_at=now,
        principal_outstanding_minor=money.to_minor_units(quote.amount, currency),
        accrued_through=quote.start,
        serviced_on=quote.start,
    )
    starts = [quote.start] + [row.due_date for row in quote.installments[:-1]]
    Installment.objects.bulk_create(
        Installment(
            loan=loan,
            number=row.number,
            starts_on=start,
            due_date=row.due_date,
            principal_minor=money.to_minor_units(row.principal, currency),
            interest_minor=money.to_minor_units(row.interest, currency),
        )
        for row, start in zip(quote.installments, starts, strict=True)
    )
    application.status = LoanApplication.Status.DISBURSED
    application.save(update_fields=["status"])
    # After the entry the accounts are locked: append, never wait for the chain's head here.
    audit_event_append(
        action="loans.loan_disbursed",
        actor=actor,
        target=loan,
        changes={"status": {"before": LoanApplication.Status.ACCEPTED, "after": LoanApplication.Status.DISBURSED}},
        metadata={
            "application": str(application.public_id),
            "entry": str(entry.public_id),
            "principal": str(quote.amount),
            "fee": str(quote.origination_fee),
        },
    )
    return loan

"""Writing a loan off: proposed by one loan officer, approved by another (maker-checker).

Approval posts one ledger entry (kind ``write_off``): what the borrower still owes —
outstanding principal, interest accrued and unpaid, late fees unpaid — leaves the loan,
interest and fee receivable accounts for write-off expense. Interest up to today is
accrued in the same entry first. The loan is then written off: it accrues nothing more
and takes no repayments (money recovered later is booked by operations as an adjustment).
"""

from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_append, audit_event_record
from blockscore import money
from loans.exceptions import OwnWriteOff, WriteOffState
from loans.models import Loan
from loans.services.repayments import accrual_lines, loan_locked, system_accounts
from loans.services.servicing import accrual_delta
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import Line, entry_post, system_account
from wallets.services.ledger import ledger_day


@transaction.atomic
def write_off_propose(*, loan: Loan, actor, reason: str) -> Loan:
    loan = loan_locked(loan)
    if not loan.is_open:
        raise WriteOffState(f"Only an open loan can be written off; this one is {loan.get_status_display().lower()}.")
    if loan.write_off_proposed_by_id is not None:
        raise WriteOffState("A write-off is already proposed for this loan.")
    reason = reason.strip()
    if not reason:
        raise WriteOffState("Say why the loan should be written off.", code="reason_required")
    loan.write_off_proposed_by = actor
    loan.write_off_proposed_at = timezone.now()
    loan.write_off_reason = reason[:280]
    loan.save(update_fields=["write_off_proposed_by", "write_off_proposed_at", "write_off_reason"])
    audit_event_record(action="loans.write_off_proposed", actor=actor, target=loan, metadata={"reason": reason})
    return loan


def _pending(loan: Loan, actor) -> Loan:
    loan = loan_locked(loan)
    if not loan.is_open or loan.write_off_proposed_by_id is None:
        raise WriteOffState("There is no write-off proposal to decide on this loan.")
    if loan.write_off_proposed_by_id == actor.pk:
        raise OwnWriteOff()
    return loan


@transaction.atomic
def write_off_reject(*, loan: Loan, actor, note: str = "") -> Loan:
    loan = _pending(loan, actor)
    proposed_by = loan.write_off_proposed_by
    loan.write_off_proposed_by = None
    loan.write_off_proposed_at = None
    reason, loan.write_off_reason = loan.write_off_reason, ""
    loan.save(update_fields=["write_off_proposed_by", "write_off_proposed_at", "write_off_reason"])
    audit_event_record(
        action="loans.write_off_rejected",
        actor=actor,
        target=loan,
        metadata={"proposed_by": proposed_by.get_username(), "reason": reason, "note": note},
    )
    return loan


@transaction.atomic
def write_off_approve(*, loan: Loan, actor) -> Loan:
    loan = _pending(loan, actor)
    today = ledger_day()
    currency = loan.currency
    accrue = accrual_delta(list(loan.installments.all()), loan.accrued_through or loan.start_date, today)
    interest = loan.interest_accrued_minor + accrue - loan.interest_paid_minor
    parts = [
        (LedgerAccount.Kind.LOAN_RECEIVABLE, loan.principal_outstanding_minor),
        (LedgerAccount.Kind.INTEREST_RECEIVABLE, interest),
        (LedgerAccount.Kind.FEE_RECEIVABLE, loan.fees_outstanding_minor),
    ]
    as_money = lambda minor: money.from_minor_units(minor, currency)  # noqa: E731
    system = system_accounts(currency)
    lines = [Line(system[kind], as_money(minor)) for kind, minor in parts if minor]
    total = sum(minor for _, minor in parts)
    if total:
        lines.append(Line(system_account(LedgerAccount.Kind.WRITE_OFF_EXPENSE, currency), -as_money(total)))
    lines += accrual_lines(system, currency, accrue)
    entry = None
    if lines:
        entry = entry_post(
            kind=JournalEntry.Kind.WRITE_OFF,
            lines=lines,
            memo=f"Loan written off: {loan.write_off_reason}",
            initiator=actor,
            idempotency_key=f"loan-write-off:{loan.public_id}",
            metadata={"loan": str(loan.public_id), "proposed_by": loan.write_off_proposed_by.get_username()},
        )
    before = loan.status
    loan.interest_accrued_minor += accrue
    loan.accrued_through = today
    loan.status = Loan.Status.WRITTEN_OFF
    loan.closed_on = today
    loan.written_off_by = actor
    loan.write_off_entry = entry
    loan.save(
        update_fields=[
            "interest_accrued_minor",
            "accrued_through",
            "status",
            "closed_on",
            "written_off_by",
            "write_off_entry",
        ]
    )
    audit_event_append(
        action="loans.loan_written_off",
        actor=actor,
        target=loan,
        changes={"status": {"before": before, "after": loan.status}},
        metadata={
            "proposed_by": loan.write_off_proposed_by.get_username(),
            "reason": loan.write_off_reason,
            "principal": str(as_money(loan.principal_outstanding_minor)),
            "interest": str(as_money(interest)),
            "fees": str(as_money(loan.fees_outstanding_minor)),
            "entry": str(entry.public_id) if entry else "",
        },
    )
    return loan

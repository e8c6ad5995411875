"""Repayments: money received against a loan, how it is allocated, and the one ledger entry.

Sources
    ``wallet``: the customer pays from their wallet through the API. ``collection``: the
    daily collection job takes what is due from the loan's wallet, as much as the wallet
    holds. ``external``: staff record a payment received outside the platform (a bank
    transfer); it comes from the bank rail's clearing account and may be back-dated to
    the day the money arrived (its value date).

Allocation (what a payment pays, in order)
    1. Installments already due, oldest first; within each: its late fee, then its
       interest, then its principal. (A back-dated payment first settles what was due on
       its value date, counting only late fees charged by then; what is left settles what
       has fallen due since.)
    2. If the payment is exactly what settles the loan today (the payoff amount: every
       unpaid fee, the interest earned up to today, and all the principal) the loan is
       paid off: interest not yet earned is never charged (EU Consumer Credit Directive,
       art. 16: early repayment lowers the cost of the credit).
    3. Otherwise the next installment, in advance: its interest, then its principal.
    4. Anything left is a prepayment of principal: the principal still to fall due is
       lowered by it and re-spread over the same installments with the loan's rate and
       method, so **a prepayment lowers the later installments and keeps the term** (and
       lowers the interest they carry).
    A payment above the payoff amount is refused (``overpayment``, 422, with the payoff
    amount): we keep no credit balances on loans. Interest paid for the current period
    before a payoff stays paid.

Back-dated payments recompute what they affect: installments they settle are paid on
the value date; a late fee charged for an installment the payment settled within the
grace period is waived (what of it is still unpaid), and days past due, the bucket and
the status (a defaulted loan brought current is active again) are recomputed for today.
Interest is not: it is earned by the schedule, whatever the payments.

Audit events of repayments are appended without the audit chain's lock (chained right
after the commit, as the ledger's are): the accounts are locked by then, and the chain
head is locked before accounts elsewhere (deposits), never after them.

Each repayment is one ledger entry (kind ``loan_repayment``): the source account pays
the amount; fee receivable, interest receivable and loan receivable take their parts. The
same entry first accrues the loan's interest up to today (interest receivable to
interest income) when the daily job has not yet, and reverses waived late fees (fee
income to fee receivable), so the loan's figures and the ledger move together.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_append
from blockscore import money
from blockscore.exceptions import DomainError
from loans import schedules
from loans.exceptions import InvalidValueDate, LoanNotOpen, Overpayment, ReferenceRequired, RepaymentAlreadyRecorded
from loans.models import Bucket, Installment, Loan, Repayment
from loans.services.servicing import accrual_delta, audit_status_change, days_past_due, earned, status_after
from wallets.models import JournalEntry, LedgerAccount, Rail
from wallets.services import Line, entry_post, system_account
from wallets.services.ledger import ledger_day

logger = logging.getLogger(__name__)


@dataclass
class _Allocation:
    fees: int = 0
    interest: int = 0
    principal: int = 0
    respread: int = 0  # principal prepaid beyond the next installment
    waived: int = 0
    pays_off: bool = False
    per_installment: dict = field(default_factory=dict)

    def take(self, row: Installment, part: str, available: int, amount: int) -> int:
        paid = min(available, amount)
        if paid <= 0:
            return 0
        setattr(self, part, getattr(self, part) + paid)
        shares = self.per_installment.setdefault(row.number, {"fee": 0, "interest": 0, "principal": 0})
        shares[{"fees": "fee"}.get(part, part)] += paid
        return paid


_CHANGEABLE = [
    "principal_minor",
    "interest_minor",
    "principal_paid_minor",
    "interest_paid_minor",
    "late_fee_minor",
    "late_fee_paid_minor",
    "paid_on",
]


def _changeable(row: Installment) -> tuple:
    return tuple(getattr(row, name) for name in _CHANGEABLE)


_SYSTEM_KINDS = [
    LedgerAccount.Kind.LOAN_RECEIVABLE,
    LedgerAccount.Kind.INTEREST_RECEIVABLE,
    LedgerAccount.Kind.INTEREST_INCOME,
    LedgerAccount.Kind.FEE_RECEIVABLE,
    LedgerAccount.Kind.FEE_INCOME,
]


def system_accounts(currency: str) -> dict[str, LedgerAccount]:
    """The loan system accounts of ``currency`` by kind, in one query (each is created on
    first use by ``system_account``)."""
    found = {
        account.kind: account
        for account in LedgerAccount.objects.filter(
            kind__in=_SYSTEM_KINDS, currency=currency, rail="", owner__isnull=True
        )
    }
    return {kind: found.get(kind) or system_account(kind, currency) for kind in _SYSTEM_KINDS}


def accrual_lines(system: dict[str, LedgerAccount], currency: str, minor: int) -> list[Line]:
    """The lines that accrue ``minor`` of a loan's interest up to today (none for 0), for the
    entry of a repayment or write-off that catches up on the daily job."""
    if not minor:
        return []
    amount = money.from_minor_units(minor, currency)
    return [
        Line(system[LedgerAccount.Kind.INTEREST_RECEIVABLE], -amount),
        Line(system[LedgerAccount.Kind.INTEREST_INCOME], amount),
    ]


def loan_locked(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().select_related("product").get(pk=loan.pk)


def _installments(loan: Loan) -> list[Installment]:
    return list(loan.installments.order_by("number"))


def amount_due_minor(installments: list[Installment], day: date) -> int:
    """What is due today: the unpaid fees, interest and principal of installments due by ``day``."""
    return sum(
        row.late_fee_due_minor + row.interest_due_minor + row.principal_due_minor
        for row in installments
        if row.due_date <= day
    )


def payoff_minor(installments: list[Installment], day: date) -> int:
    """What settles the loan on ``day``: unpaid fees, interest earned by then, all principal."""
    total = 0
    for row in installments:
        total += row.late_fee_due_minor + row.principal_due_minor
        total += max(0, earned(row, day) - row.interest_paid_minor)
    return total


def _settle_due(rows: list[Installment], day: date, fees_by: date, remaining: int, into: _Allocation) -> int:
    """Step 1: installments due by ``day``, oldest first: fee, interest, principal."""
    for row in rows:
        if row.due_date > day or remaining <= 0:
            continue
        if row.late_fee_charged_on is not None and row.late_fee_charged_on <= fees_by:
            paid = into.take(row, "fees", remaining, row.late_fee_due_minor)
            row.late_fee_paid_minor += paid
            remaining -= paid
        paid = into.take(row, "interest", remaining, row.interest_due_minor)
        row.interest_paid_minor += paid
        remaining -= paid
        paid = into.take(row, "principal", remaining, row.principal_due_minor)
        row.principal_paid_minor += paid
        remaining -= paid
    return remaining


def _mark_paid(rows: list[Installment], on: date) -> None:
    for row in rows:
        if row.paid_on is None and row.principal_due_minor == 0 and row.interest_due_minor == 0:
            row.paid_on = on


def _waive_late_fees(rows: list[Installment], grace_days: int, into: _Allocation) -> None:
    """A late fee charged for an installment that a back-dated payment settled within the
    grace period is waived (what of it is still unpaid)."""
    for row in rows:
        if (
            row.late_fee_charged_on is not None
            and row.paid_on is not None
            and row.paid_on <= row.due_date + timedelta(days=grace_days)
            and row.late_fee_due_minor > 0
        ):
            into.waived += row.late_fee_due_minor
            row.late_fee_minor = row.late_fee_paid_minor


def allocate(loan: Loan, rows: list[Installment], amount: int, *, received_on: date, today: date) -> _Allocation:
    """Allocate ``amount`` (minor units) over ``rows`` (changed in place); see the module docstring."""
    out = _Allocation()
    remaining = _settle_due(rows, received_on, received_on, amount, out)
    _mark_paid(rows, received_on)
    if received_on < today:
        _waive_late_fees(rows, loan.product.grace_days, out)
        remaining = _settle_due(rows, today, today, remaining, out)
        _mark_paid(rows, today)
    if remaining <= 0:
        return out
    payoff = payoff_minor(rows, today)
    if remaining > payoff:
        raise Overpayment(
            "That is more than the loan's payoff amount today.",
            extra={
                "payoff_amount": money.format_amount(
                    money.from_minor_units(amount - remaining + payoff, loan.currency), loan.currency
                )
            },
        )
    if remaining == payoff:
        for row in rows:
            if row.paid_on is not None:
                continue
            # Interest not yet earned is not charged; what was already paid stays paid.
            row.interest_minor = max(earned(row, today), row.interest_paid_minor)
            remaining -= out.take(row, "fees", remaining, row.late_fee_due_minor)
            row.late_fee_paid_minor = row.late_fee_minor
            remaining -= out.take(row, "interest", remaining, row.interest_due_minor)
            row.interest_paid_minor = row.interest_minor
            remaining -= out.take(row, "principal", remaining, row.principal_due_minor)
            row.principal_paid_minor = row.principal_minor
            row.paid_on = today
        assert remaining == 0, remaining
        out.pays_off = True
        return out
    upcoming = [row for row in rows if row.paid_on is None and row.due_date > today]
    current, later = upcoming[0], upcoming[1:]
    paid = out.take(current, "interest", remaining, current.interest_due_minor)
    current.interest_paid_minor += paid
    remaining -= paid
    paid = out.take(current, "principal", remaining, current.principal_due_minor)
    current.principal_paid_minor += paid
    remaining -= paid
    if current.principal_due_minor == 0 and current.interest_due_minor == 0:
        current.paid_on = today
    if remaining > 0:
        _prepay(loan, later, remaining, out)
    return out


def _prepay(loan: Loan, later: list[Installment], amount: int, into: _Allocation) -> None:
    """Lower the principal still to fall due by ``amount`` and re-spread it over the same
    installments (same due dates, rate and method): lower installments, same term."""
    left = sum(row.principal_due_minor for row in later) - amount
    assert left > 0 and later, (left, later)  # a payment reaching the payoff amount is handled above
    rebuilt = schedules.schedule(
        amount=money.from_minor_units(left, loan.currency),
        currency=loan.currency,
        annual_rate=loan.annual_rate_percent / 100,
        term=len(later),
        method=loan.interest_method,
        frequency=loan.frequency,
        start=later[0].starts_on,
    )
    for row, new in zip(later, rebuilt, strict=True):
        row.principal_minor = money.to_minor_units(new.principal, loan.currency)
        row.interest_minor = money.to_minor_units(new.interest, loan.currency)
    into.principal += amount
    into.respread += amount
    into.per_installment.setdefault("prepayment", {"fee": 0, "interest": 0, "principal": 0})["principal"] += amount


@transaction.atomic
def repayment_make(
    *,
    loan: Loan,
    amount: Decimal,
    source: str,
    actor,
    received_on: date | None = None,
    reference: str = "",
    note: str = "",
    idempotency_key: str | None = None,
    wallet: LedgerAccount | None = None,
) -> Repayment:
    """Receive ``amount`` against ``loan``, allocate it and post it; see the module docstring.

    ``idempotency_key`` (namespaced by the caller) makes a retried call return the
    repayment it already made. An external payment is keyed by its bank reference
    (required): recording the same reference twice is refused."""
    if source == Repayment.Source.EXTERNAL:
        # A bank transfer is recorded once: its reference is its key.
        reference = reference.strip()
        if not reference:
            raise ReferenceRequired()
        idempotency_key = f"loan-external:{loan.public_id}:{reference}"
    loan = loan_locked(loan)  # repayments of a loan queue here, so the key checks below hold
    if idempotency_key:
        existing = Repayment.objects.filter(entry__idempotency_key=idempotency_key).first()
        if existing is not None:
            if source == Repayment.Source.EXTERNAL:
                raise RepaymentAlreadyRecorded(f"A repayment with reference {reference} is already recorded.")
            return existing
    if not loan.is_open:
        raise LoanNotOpen(f"This loan is {loan.get_status_display().lower()}: there is nothing to repay.")
    today = ledger_day()
    received_on = received_on or today
    if not loan.start_date <= received_on <= today:
        raise InvalidValueDate(f"The value date must be between the disbursement ({loan.start_date}) and today.")
    units = money.to_minor_units(money.exact(amount, loan.currency), loan.currency)
    rows = _installments(loan)
    accrue = accrual_delta(rows, loan.accrued_through or loan.start_date, today)
    before = {row.pk: _changeable(row) for row in rows}
    due_paid_before = sum(row.principal_paid_minor for row in rows if row.due_date <= today)
    allocation = allocate(loan, rows, units, received_on=received_on, today=today)
    # Principal paid ahead of its due date: the next installment's, and what was re-spread.
    prepaid = allocation.principal - (
        sum(row.principal_paid_minor for row in rows if row.due_date <= today) - due_paid_before
    )
    if allocation.pays_off:
        # Interest paid ahead for the current period stays paid: it is earned now.
        accrue = sum(row.interest_paid_minor for row in rows) - loan.interest_accrued_minor

    currency = loan.currency
    as_money = lambda minor: money.from_minor_units(minor, currency)  # noqa: E731
    if source == Repayment.Source.EXTERNAL:
        payer = system_account(LedgerAccount.Kind.CLEARING, currency, rail=Rail.BANK_TRANSFER)
    else:
        payer = wallet or loan.wallet
    system = system_accounts(currency)
    lines = [Line(payer, -as_money(units))]
    for kind, minor in (
        (LedgerAccount.Kind.FEE_RECEIVABLE, allocation.fees),
        (LedgerAccount.Kind.INTEREST_RECEIVABLE, allocation.interest),
        (LedgerAccount.Kind.LOAN_RECEIVABLE, allocation.principal),
    ):
        if minor:
            lines.append(Line(system[kind], as_money(minor)))
    lines += accrual_lines(system, currency, accrue)
    if allocation.waived:
        lines += [
            Line(system[LedgerAccount.Kind.FEE_INCOME], -as_money(allocation.waived)),
            Line(system[LedgerAccount.Kind.FEE_RECEIVABLE], as_money(allocation.waived)),
        ]
    public_id = uuid.uuid4()
    entry = entry_post(
        kind=JournalEntry.Kind.LOAN_REPAYMENT,
        lines=lines,
        memo=f"Loan repayment ({Repayment.Source(source).label})",
        initiator=actor,
        idempotency_key=idempotency_key or f"loan-repayment:{public_id}",
        metadata={
            "loan": str(loan.public_id),
            "repayment": str(public_id),
            "received_on": received_on.isoformat(),
            "accrued": str(as_money(accrue)),
            "waived": str(as_money(allocation.waived)),
        },
    )
    changed = [row for row in rows if _changeable(row) != before[row.pk]]
    if changed:
        Installment.objects.bulk_update(changed, _CHANGEABLE)
    before = loan.status
    loan.principal_outstanding_minor -= allocation.principal
    loan.interest_accrued_minor += accrue
    loan.accrued_through = max(loan.accrued_through or today, today)
    loan.interest_paid_minor += allocation.interest
    loan.fees_charged_minor -= allocation.waived
    loan.fees_paid_minor += allocation.fees
    loan.days_past_due = days_past_due(rows, today)
    loan.bucket = Bucket.of(loan.days_past_due)
    if all(row.paid_on is not None for row in rows) and loan.fees_paid_minor == loan.fees_charged_minor:
        loan.status = Loan.Status.PAID_OFF
        loan.closed_on = today
    else:
        loan.status = status_after(loan.status, loan.days_past_due, loan.product)
    loan.save(
        update_fields=[
            "principal_outstanding_minor",
            "interest_accrued_minor",
            "accrued_through",
            "interest_paid_minor",
            "fees_charged_minor",
            "fees_paid_minor",
            "days_past_due",
            "bucket",
            "status",
            "closed_on",
        ]
    )
    repayment = Repayment.objects.create(
        public_id=public_id,
        loan=loan,
        source=source,
        amount_minor=units,
        received_on=received_on,
        fees_minor=allocation.fees,
        interest_minor=allocation.interest,
        principal_minor=allocation.principal,
        prepaid_principal_minor=prepaid,
        fees_waived_minor=allocation.waived,
        pays_off=loan.status == Loan.Status.PAID_OFF,
        allocation=[
            {"installment": number, **{part: str(as_money(minor)) for part, minor in shares.items()}}
            for number, shares in allocation.per_installment.items()
        ],
        reference=reference,
        note=note,
        entry=entry,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        recorded_at=timezone.now(),
    )
    audit_event_append(
        action="loans.repayment_recorded",
        actor=actor,
        target=loan,
        metadata={
            "repayment": str(public_id),
            "source": source,
            "amount": str(as_money(units)),
            "received_on": received_on.isoformat(),
            "fees": str(as_money(allocation.fees)),
            "interest": str(as_money(allocation.interest)),
            "principal": str(as_money(allocation.principal)),
            "prepaid_principal": str(as_money(prepaid)),
            "fees_waived": str(as_money(allocation.waived)),
            "reference": reference,
        },
    )
    if loan.status != before:
        if loan.status == Loan.Status.PAID_OFF:
            audit_event_append(
                action="loans.loan_paid_off",
                actor=actor,
                target=loan,
                changes={"status": {"before": before, "after": loan.status}},
            )
        else:
            audit_status_change(loan.pk, loan.public_id, before, loan.status, loan.days_past_due, today, actor=actor)
    return repayment


def collections_run(*, day: date | None = None) -> dict:
    """Collect what is due from each open loan's wallet, as much as the wallet holds.

    One repayment per loan and day (idempotency key ``loan-collection:<loan>:<day>``), each
    in its own transaction: a frozen wallet or a failure on one loan does not stop the
    others. Returns counts and the amounts collected per currency (minor units)."""
    day = day or ledger_day()
    collected: dict[str, int] = {}
    counts = {"loans": 0, "collected": 0, "skipped": 0}
    loan_ids = (
        Installment.objects.filter(paid_on__isnull=True, due_date__lte=day, loan__status__in=Loan.OPEN_STATUSES)
        .values_list("loan_id", flat=True)
        .distinct()
        .order_by("loan_id")
    )
    for loan in Loan.objects.filter(pk__in=list(loan_ids)).select_related("wallet").order_by("pk"):
        counts["loans"] += 1
        key = f"loan-collection:{loan.public_id}:{day}"
        available = loan.wallet.balance_minor - loan.wallet.held_minor
        if available <= 0 or loan.wallet.status != LedgerAccount.Status.ACTIVE:
            counts["skipped"] += 1
            continue
        amount = min(amount_due_minor(_installments(loan), day), available)
        if amount <= 0:
            counts["skipped"] += 1
            continue
        try:
            repayment = repayment_make(
                loan=loan,
                amount=money.from_minor_units(amount, loan.currency),
                source=Repayment.Source.COLLECTION,
                actor=None,
                received_on=day,
                idempotency_key=key,
            )
        except DomainError as exc:  # e.g. the wallet was frozen or drained meanwhile
            logger.warning("collection from loan %s skipped: %s", loan.public_id, exc)
            counts["skipped"] += 1
            continue
        counts["collected"] += 1
        collected[loan.currency] = collected.get(loan.currency, 0) + repayment.amount_minor
    return {**counts, "amounts": collected}

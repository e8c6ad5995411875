"""The daily servicing job, and the arithmetic of a loan's day that repayments share.

Each day ``servicing_run(day=D)`` brings every open loan (active or defaulted) to D:

Interest accrual
    An installment's interest is earned evenly over its period, from ``starts_on`` (the
    previous due date, or the disbursement day) to ``due_date``: by day d it has earned
    ``interest * (d - starts_on) // (due_date - starts_on)`` minor units (integer floor;
    all of it on the due date). A loan's accrued interest at D is the sum over its
    installments, so the days' accruals add up to the schedule's interest exactly, to the
    minor unit, however many days the job skipped. The job posts the difference from what
    the loan had accrued (``interest_accrued_minor``, ``accrued_through``). The ledger gets
    one entry per currency and batch of loans (interest receivable to interest income,
    kind ``interest_accrual``): the loans' own figures are the sub-ledger, and
    ``verify_loans`` checks that the receivable accounts equal their sums.

Due, overdue, days past due, buckets
    An installment is due on its due date and overdue from the day after while its
    principal and interest are not fully paid (``paid_on`` is empty). Days past due are
    counted from the oldest overdue installment's due date; the bucket follows (current,
    1–30, 31–60, 61–90, 90+).

Late fees
    Once an installment is more than ``grace_days`` past due and still unpaid it is
    charged the product's late fee, once: the fixed fee plus the percentage of what is
    overdue on it (principal and interest), rounded half-even to the minor unit. One entry
    per currency and batch: fee receivable to fee income (kind ``fee``).

Default and cure
    An active loan is marked defaulted when its days past due reach the product's
    ``default_after_days``; a defaulted loan brought fully current (no overdue
    installment, e.g. by a back-dated payment) returns to active. Both are audited. A
    defaulted loan keeps accruing its contractual interest until it is written off.

Reminders
    An installment falling due within ``settings.LOANS_REMINDER_DAYS`` days (3 by default)
    and not yet paid is e-mailed about once (``reminded_on``).

Idempotent per date
    The job takes the loans not yet serviced on D (``serviced_on``), and not already
    accrued past D, in batches of
    ``BATCH`` by id, locks them, and writes a batch's loans, installments and ledger
    entries in one transaction, so a rerun of the same day (after a crash, or twice by
    mistake) only does what is left. ``ServicingRun`` keeps each day's totals.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.services import audit_event_append
from blockscore import money
from blockscore.queue import enqueue
from loans.models import Bucket, Installment, Loan, LoanProduct, ServicingRun
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import Line, accounts_lock, entry_post, system_account
from wallets.services.ledger import ledger_day

logger = logging.getLogger(__name__)

BATCH = 2000
OPEN = Loan.OPEN_STATUSES


def reminder_days() -> int:
    return settings.LOANS_REMINDER_DAYS


# -- the arithmetic of a loan's day (pure: rows are Installment objects or any object with
# the same attributes) ------------------------------------------------------------------


def earned(row, day: date) -> int:
    """Interest of one installment earned by ``day``, in minor units."""
    if day >= row.due_date:
        return row.interest_minor
    if day <= row.starts_on:
        return 0
    return row.interest_minor * (day - row.starts_on).days // (row.due_date - row.starts_on).days


def accrual_delta(rows, since: date, day: date) -> int:
    """Interest earned between ``since`` and ``day`` over ``rows`` (which must hold every
    installment whose period overlaps them)."""
    if day <= since:
        return 0
    return sum(earned(row, day) - earned(row, since) for row in rows)


def late_fee(product: LoanProduct, row) -> int:
    """The late fee of an overdue installment: fixed plus a percentage of what is overdue."""
    overdue = (row.principal_minor - row.principal_paid_minor) + (row.interest_minor - row.interest_paid_minor)
    percent = (Decimal(overdue) * product.late_fee_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return product.late_fee_minor + int(percent)


def days_past_due(rows, day: date) -> int:
    """Days since the oldest installment still unpaid after its due date (0 if none)."""
    overdue = [row.due_date for row in rows if row.paid_on is None and row.due_date < day]
    return (day - min(overdue)).days if overdue else 0


def status_after(status: str, dpd: int, product: LoanProduct) -> str:
    """Default at the product's days past due; a defaulted loan brought current is active again."""
    if status == Loan.Status.ACTIVE and dpd >= product.default_after_days:
        return Loan.Status.DEFAULTED
    if status == Loan.Status.DEFAULTED and dpd == 0:
        return Loan.Status.ACTIVE
    return status


def audit_status_change(loan_id: int, public_id, before: str, after: str, dpd: int, day: date, actor=None) -> None:
    audit_event_append(
        action="loans.loan_defaulted" if after == Loan.Status.DEFAULTED else "loans.loan_cured",
        actor=actor,
        target_type="loans.loan",
        target_id=str(public_id),
        changes={"status": {"before": before, "after": after}},
        metadata={"day": day.isoformat(), "days_past_due": dpd, "loan_id": loan_id},
    )


# -- the job ---------------------------------------------------------------------------


@dataclass
class _Totals:
    loans: int = 0
    interest: dict = field(default_factory=lambda: defaultdict(int))
    fees: dict = field(default_factory=lambda: defaultdict(int))
    fees_charged: int = 0
    defaulted: int = 0
    reminders: int = 0


class _Row:
    """An installment as the job reads it (cheaper than a model instance)."""

    __slots__ = (
        "id",
        "loan_id",
        "starts_on",
        "due_date",
        "principal_minor",
        "interest_minor",
        "principal_paid_minor",
        "interest_paid_minor",
        "late_fee_charged_on",
        "paid_on",
        "reminded_on",
    )

    def __init__(self, values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


_LOAN_FIELDS = (
    "id",
    "public_id",
    "product_id",
    "currency",
    "status",
    "accrued_through",
    "interest_accrued_minor",
    "fees_charged_minor",
)


def servicing_run(*, day: date | None = None) -> ServicingRun:
    """Bring every open loan to ``day`` (by default today's ledger day); see the module docstring."""
    day = day or ledger_day()
    run, _ = ServicingRun.objects.get_or_create(day=day, defaults={"started_at": timezone.now()})
    products = {product.pk: product for product in LoanProduct.objects.all()}
    after = 0
    while True:
        with transaction.atomic():
            loans = list(
                Loan.objects.select_for_update()
                .filter(Q(serviced_on__lt=day) | Q(serviced_on__isnull=True), status__in=OPEN, id__gt=after)
                # A loan already brought past ``day`` (a repayment accrues it to its day) is
                # left alone by a late run for an earlier day: its figures never go back.
                .exclude(accrued_through__gt=day)
                .order_by("id")
                .values_list(*_LOAN_FIELDS)[:BATCH]
            )
            if not loans:
                break
            totals = _service_batch(loans, day, products)
            ServicingRun.objects.filter(pk=run.pk).update(
                loans_serviced=F("loans_serviced") + totals.loans,
                late_fees_charged=F("late_fees_charged") + totals.fees_charged,
                defaulted=F("defaulted") + totals.defaulted,
                reminders=F("reminders") + totals.reminders,
            )
            run.refresh_from_db(fields=["interest_accrued", "late_fees"])
            for name, amounts in (("interest_accrued", totals.interest), ("late_fees", totals.fees)):
                kept = dict(getattr(run, name))
                for currency, minor in amounts.items():
                    kept[currency] = kept.get(currency, 0) + minor
                setattr(run, name, kept)
            run.save(update_fields=["interest_accrued", "late_fees"])
        after = loans[-1][0]
    ServicingRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    run.refresh_from_db()
    logger.info("loan servicing %s: %s loans", day, run.loans_serviced)
    return run


def _service_batch(loans: list[tuple], day: date, products: dict[int, LoanProduct]) -> _Totals:
    first, last = loans[0][0], loans[-1][0]
    since = min((loan[5] for loan in loans if loan[5] is not None), default=day)
    horizon = day + timedelta(days=reminder_days())
    rows_of: dict[int, list[_Row]] = defaultdict(list)
    for values in (
        Installment.objects.filter(loan_id__gte=first, loan_id__lte=last)
        .filter(Q(paid_on__isnull=True, due_date__lte=horizon) | Q(due_date__gt=since, starts_on__lt=day))
        .values_list(*_Row.__slots__)
    ):
        row = _Row(values)
        rows_of[row.loan_id].append(row)

    totals = _Totals()
    loan_updates, fee_updates, reminded = [], [], []
    for loan_id, public_id, product_id, currency, status, accrued_through, accrued, fees in loans:
        product = products[product_id]
        rows = rows_of.get(loan_id, ())
        delta = accrual_delta(rows, accrued_through or day, day)
        if delta < 0:
            raise AssertionError(f"loan {loan_id}: accrued interest would fall by {-delta} on {day}")
        if delta:
            totals.interest[currency] += delta
        charged = 0
        for row in rows:
            if row.paid_on is not None:
                continue
            if row.late_fee_charged_on is None and day > row.due_date + timedelta(days=product.grace_days):
                fee = late_fee(product, row)
                if fee > 0:
                    fee_updates.append((row.id, fee, day))
                    charged += fee
            if row.reminded_on is None and day <= row.due_date <= horizon and status == Loan.Status.ACTIVE:
                reminded.append(row.id)
        if charged:
            totals.fees[currency] += charged
            totals.fees_charged += 1
        dpd = days_past_due(rows, day)
        new_status = status_after(status, dpd, product)
        if new_status != status:
            totals.defaulted += new_status == Loan.Status.DEFAULTED
            audit_status_change(loan_id, public_id, status, new_status, dpd, day)
        loan_updates.append((loan_id, accrued + delta, day, day, dpd, Bucket.of(dpd).value, new_status, fees + charged))
    totals.loans = len(loans)
    totals.reminders = len(reminded)

    _update_from_values(
        "loans_loan",
        [
            "interest_accrued_minor",
            "accrued_through",
            "serviced_on",
            "days_past_due",
            "bucket",
            "status",
            "fees_charged_minor",
        ],
        loan_updates,
    )
    _update_from_values("loans_installment", ["late_fee_minor", "late_fee_charged_on"], fee_updates)
    if reminded:
        Installment.objects.filter(id__in=reminded).update(reminded_on=day)
        enqueue("loans.send_due_reminders", reminded)
    entries = [
        (
            JournalEntry.Kind.INTEREST_ACCRUAL,
            LedgerAccount.Kind.INTEREST_RECEIVABLE,
            LedgerAccount.Kind.INTEREST_INCOME,
            currency,
            minor,
            f"loan-accrual:{day}:{currency}:{first}-{last}",
            f"Interest accrued on {day}",
            len(loans),
        )
        for currency, minor in totals.interest.items()
    ] + [
        (
            JournalEntry.Kind.FEE,
            LedgerAccount.Kind.FEE_RECEIVABLE,
            LedgerAccount.Kind.FEE_INCOME,
            currency,
            minor,
            f"loan-late-fees:{day}:{currency}:{first}-{last}",
            f"Late fees charged on {day}",
            totals.fees_charged,
        )
        for currency, minor in totals.fees.items()
    ]
    _post_batch(entries, day)
    return totals


def _post_batch(entries: list[tuple], day: date) -> None:
    """Post the batch's accrual and late-fee entries. Their accounts are locked together
    first, in the ledger's one order (ascending id): locking them entry by entry could
    deadlock with a repayment, which locks all of them at once."""
    accounts = {
        (kind, currency): system_account(kind, currency)
        for _, receivable, income, currency, _, _, _, _ in entries
        for kind in (receivable, income)
    }
    if not accounts:
        return
    locked = accounts_lock({account.pk for account in accounts.values()})
    for kind, receivable, income, currency, minor, key, memo, loans in entries:
        amount = money.from_minor_units(minor, currency)
        entry_post(
            kind=kind,
            lines=[
                Line(accounts[(receivable, currency)], -amount),
                Line(accounts[(income, currency)], amount),
            ],
            memo=memo,
            idempotency_key=key,
            metadata={"day": day.isoformat(), "loans": loans},
            locked=locked,
        )


def _update_from_values(table: str, columns: list[str], rows: list[tuple]) -> None:
    """UPDATE many rows by id in one statement: ``rows`` are ``(id, *values)`` in ``columns`` order.

    ``UPDATE ... FROM (VALUES ...)`` works on PostgreSQL and SQLite (3.33+) alike; both
    name a VALUES list's columns column1, column2, ... Values must not be NULL (a column
    of NULLs has no type in PostgreSQL)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    width = len(columns) + 1
    # Below SQLite's and psycopg2's parameter limits whatever the batch.
    step = max(1, 30000 // width)
    sets = ", ".join(f"{quote(column)} = v.column{index + 2}" for index, column in enumerate(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            params = [adapt(value) if isinstance(value, date) else value for row in chunk for value in row]
            # The id range lets the planner fetch the rows by primary key instead of
            # hashing the VALUES list against a scan of the whole table.
            ids = [row[0] for row in chunk]
            cursor.execute(
                f"UPDATE {quote(table)} SET {sets} FROM (VALUES {values}) AS v "
                f"WHERE {quote(table)}.id = v.column1 AND {quote(table)}.id BETWEEN %s AND %s",
                [*params, min(ids), max(ids)],
            )

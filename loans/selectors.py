"""Reads of the loan book that more than one caller needs.

- ``loan_portfolio``: the portfolio report (staff API, console page, CSV), per currency.
- ``exposure``: a borrower's outstanding principal per currency (underwriting).
- ``loan_histories``: the customers' repayment records, for the credit score
  (``loans.features``).

Every figure is aggregated by the database (the report is two grouped queries, a batch
of histories two queries), never by a Python loop over loans: the loops here run over
the grouped rows (currency × status × bucket, or one per customer), so the report stays
one scan of the loan table however large the book grows.

Figures come from the loans' sub-ledger, which the servicing job keeps
(``days_past_due``, ``bucket``, interest accrued, late fees); amounts are in minor
units. "Open" means active or defaulted: money is still owed on the loan. A paid-off
loan owes nothing, and a written-off loan's receivable has left the books.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from blockscore import money
from loans.models import Bucket, Installment, Loan, Repayment

OPEN_STATUSES = (Loan.Status.ACTIVE, Loan.Status.DEFAULTED)
# Portfolio at risk: outstanding principal of open loans more than this many days past due.
PAR_DAYS = (30, 90)

_OPEN = Q(status__in=OPEN_STATUSES)


def _int(value) -> int:
    """A SUM as an int: NULL over no rows, and a Decimal on PostgreSQL (SUM of bigint is numeric)."""
    return int(value or 0)


def day_start(day: date) -> datetime:
    """The first instant of a ledger day (days are kept in ``settings.TIME_ZONE``)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def percent(part: int, whole: int) -> Decimal:
    """``part`` as a percentage of ``whole``, 2 places (half-even, the platform's rounding);
    0.00 when there is no whole (nothing outstanding, so nothing at risk)."""
    if not whole:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=money.ROUNDING)


@dataclass
class Figure:
    """A number of loans and an amount in minor units."""

    loans: int = 0
    amount_minor: int = 0

    def add(self, loans: int, amount_minor: int) -> None:
        self.loans += loans
        self.amount_minor += amount_minor


@dataclass
class Collections:
    """Repayments received (value date) in the period, and where the money went."""

    repayments: int = 0
    loans: int = 0
    amount_minor: int = 0
    fees_minor: int = 0
    interest_minor: int = 0
    principal_minor: int = 0


@dataclass
class CurrencyPortfolio:
    currency: str
    # Every loan, by status (every status present, zero when none).
    by_status: dict[str, Figure] = field(default_factory=lambda: {s: Figure() for s in Loan.Status.values})
    # Open loans only, by delinquency bucket (every bucket present).
    by_bucket: dict[str, Figure] = field(default_factory=lambda: {b: Figure() for b in Bucket.values})
    open: Figure = field(default_factory=Figure)
    # Open loans more than PAR_DAYS days past due: {30: Figure, 90: Figure}.
    at_risk: dict[int, Figure] = field(default_factory=lambda: {days: Figure() for days in PAR_DAYS})
    # Open loans: interest accrued to date, and the part of it not yet paid; late fees unpaid.
    interest_accrued_minor: int = 0
    interest_receivable_minor: int = 0
    fees_outstanding_minor: int = 0
    disbursed: Figure = field(default_factory=Figure)
    collections: Collections = field(default_factory=Collections)

    def par_percent(self, days: int) -> Decimal:
        return percent(self.at_risk[days].amount_minor, self.open.amount_minor)


@dataclass(frozen=True)
class Portfolio:
    start: date  # the period, both days included
    end: date
    currencies: list[CurrencyPortfolio]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The current month to date (ledger days)."""
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    return today.replace(day=1), today


def loan_portfolio(*, start: date, end: date) -> Portfolio:
    """The loan book per currency: loans and outstanding principal by status and by
    bucket, PAR30/PAR90, interest and fees receivable, and the volume disbursed and
    collected between ``start`` and ``end`` (both included, ledger days).

    Two queries: the loans grouped by currency, status and bucket (with the period's
    disbursements as conditional sums, so one scan), and the period's repayments grouped
    by currency.
    """
    disbursed = Q(disbursed_at__gte=day_start(start))
    if end < date.max:
        disbursed &= Q(disbursed_at__lt=day_start(end + timedelta(days=1)))
    outstanding = "principal_outstanding_minor"
    at_risk = {}
    for days in PAR_DAYS:
        at_risk[f"loans_over_{days}"] = Count("id", filter=Q(days_past_due__gt=days))
        at_risk[f"over_{days}"] = Sum(outstanding, filter=Q(days_past_due__gt=days))
    rows = (
        Loan.objects.order_by()
        .values("currency", "status", "bucket")
        .annotate(
            loans=Count("id"),
            outstanding=Sum(outstanding),
            interest_accrued=Sum("interest_accrued_minor"),
            interest_receivable=Sum(F("interest_accrued_minor") - F("interest_paid_minor")),
            fees_outstanding=Sum(F("fees_charged_minor") - F("fees_paid_minor")),
            disbursed=Count("id", filter=disbursed),
            disbursed_minor=Sum("principal_minor", filter=disbursed),
            **at_risk,
        )
    )
    books: dict[str, CurrencyPortfolio] = {}
    for row in rows:
        book = books.setdefault(row["currency"], CurrencyPortfolio(row["currency"]))
        loans, amount = row["loans"], _int(row["outstanding"])
        book.by_status[row["status"]].add(loans, amount)
        book.disbursed.add(row["disbursed"], _int(row["disbursed_minor"]))
        if row["status"] not in OPEN_STATUSES:
            continue
        book.by_bucket[row["bucket"]].add(loans, amount)
        book.open.add(loans, amount)
        for days in PAR_DAYS:
            book.at_risk[days].add(row[f"loans_over_{days}"], _int(row[f"over_{days}"]))
        book.interest_accrued_minor += _int(row["interest_accrued"])
        book.interest_receivable_minor += _int(row["interest_receivable"])
        book.fees_outstanding_minor += _int(row["fees_outstanding"])

    received = (
        Repayment.objects.filter(received_on__gte=start, received_on__lte=end)
        .order_by()
        .values("loan__currency")
        .annotate(
            repayments=Count("id"),
            loans=Count("loan", distinct=True),
            amount=Sum("amount_minor"),
            fees=Sum("fees_minor"),
            interest=Sum("interest_minor"),
            principal=Sum("principal_minor"),
        )
    )
    for row in received:
        currency = row["loan__currency"]
        book = books.setdefault(currency, CurrencyPortfolio(currency))
        book.collections = Collections(
            repayments=row["repayments"],
            loans=row["loans"],
            amount_minor=_int(row["amount"]),
            fees_minor=_int(row["fees"]),
            interest_minor=_int(row["interest"]),
            principal_minor=_int(row["principal"]),
        )
    return Portfolio(start=start, end=end, currencies=[books[code] for code in sorted(books)])


def exposure(user) -> dict[str, int]:
    """Outstanding principal of the borrower's open loans, per currency (minor units)."""
    rows = (
        Loan.objects.filter(_OPEN, borrower=user)
        .order_by()
        .values("currency")
        .annotate(outstanding=Sum("principal_outstanding_minor"))
    )
    return {row["currency"]: _int(row["outstanding"]) for row in rows}


@dataclass(frozen=True)
class LoanHistory:
    """A customer's record with BlockScore loans, as the credit score reads it."""

    loans: int  # every disbursed loan, whatever its status
    open_loans: int  # active or defaulted
    defaulted: int  # defaulted or written off
    late: bool  # an installment paid after its due date, or one due and unpaid


def loan_histories(user_ids, *, today: date | None = None) -> dict[int, LoanHistory]:
    """The loan records of these customers, in two queries whatever their number
    (customers without a loan are left out).

    An installment is late when it was paid in full after its due date (``paid_on`` is
    the value date, so a back-dated payment made on time is on time), or when an open
    loan's installment is past its due date with something still unpaid; a loan the
    servicing job has found past due (``days_past_due`` > 0) is late too.

    The late installments are a query of their own, reached through the borrower index
    and each loan's installments: as an EXISTS inside the grouped query, PostgreSQL
    hashes the whole installment table for every batch.
    """
    user_ids = list(user_ids)
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    rows = (
        Loan.objects.filter(borrower_id__in=user_ids)
        .order_by()
        .values("borrower_id")
        .annotate(
            loans=Count("id"),
            open_loans=Count("id", filter=_OPEN),
            defaulted=Count("id", filter=Q(status__in=[Loan.Status.DEFAULTED, Loan.Status.WRITTEN_OFF])),
            past_due=Count("id", filter=Q(_OPEN, days_past_due__gt=0)),
        )
    )
    histories = {row["borrower_id"]: row for row in rows}
    still_owed = Q(principal_paid_minor__lt=F("principal_minor")) | Q(interest_paid_minor__lt=F("interest_minor"))
    late = set()
    if histories:
        late = set(
            Installment.objects.filter(loan__borrower_id__in=list(histories))
            .filter(
                Q(paid_on__gt=F("due_date"))
                | (Q(paid_on__isnull=True, due_date__lt=today, loan__status__in=OPEN_STATUSES) & still_owed)
            )
            .order_by()
            .values_list("loan__borrower_id", flat=True)
            .distinct()
        )
    return {
        user_id: LoanHistory(
            loans=row["loans"],
            open_loans=row["open_loans"],
            defaulted=row["defaulted"],
            late=bool(row["past_due"]) or user_id in late,
        )
        for user_id, row in histories.items()
    }

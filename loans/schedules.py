"""Loan schedules and their APR: pure Decimal arithmetic, no database.

Amounts
    Every amount (principal, interest, payment, balance) is a ``Decimal`` at the
    currency's ISO 4217 minor unit (``blockscore.money``: JPY 0 places, USD 2, KWD 3,
    BTC 8) and every computed amount is rounded with the platform's one rounding mode,
    ``money.ROUNDING`` (ROUND_HALF_EVEN). Floats are refused, as everywhere in money code.

The last installment absorbs the rounding
    Interest is rounded once per period; the level payment (declining) or the even shares
    (flat) are rounded once. Whatever those roundings leave over lands in the LAST
    installment: its principal is simply the balance still outstanding, so the principal
    parts add up to the amount exactly and the final ``balance_after`` is exactly zero.
    No minor unit is created or lost, and the schedule a borrower is shown is the
    schedule the ledger will post.

Methods
    ``declining`` (declining-balance amortisation): the periodic rate is
    ``r = annual_rate / periods_per_year``; the level payment is the annuity payment
    ``amount * r / (1 - (1 + r) ** -term)`` rounded once; each period's interest is the
    outstanding balance times ``r`` rounded, and the rest of the payment repays principal.
    Because the rounded level payment can sit up to half a minor unit off the exact one,
    the last payment differs from the others by up to that error compounded over the
    term (cents on a 30-year loan). If the amount has fewer minor units than the
    rounding errors add up to (say 190 yen over 360 months) the balance can reach zero
    before the end; later installments are then zero rather than ever overpaying.
    With a zero rate there is no annuity: the amount is spread as for ``flat``.

    ``flat`` (add-on interest): interest is charged on the original amount for the whole
    term, ``amount * annual_rate * term / periods_per_year``, rounded once; principal and
    interest are each spread in equal shares of whole minor units (the share is the floor,
    so it can never overshoot) and the last installment takes the remainder.

Due dates
    ``monthly``: the same day of month as ``start`` in each following month, clamped to
    the month's last day (31 Jan -> 28/29 Feb -> 31 Mar), always computed from ``start``
    and never from the previous due date, so one short month does not drag every later
    date to the 28th. ``weekly``: every 7 days after ``start``. The first installment
    is due one period after ``start`` (the disbursement date).

APR
    The annual percentage rate of charge of Directive 2008/48/EC (Consumer Credit
    Directive), Annex I, with remark (c) as replaced by Commission Directive 2011/90/EU.
    It is the X that makes the present value of what the consumer receives equal the
    present value of what the consumer pays:

        sum_k C_k (1 + X) ** -s_k  ==  sum_l D_l (1 + X) ** -t_l

    Here the only drawdown is ``amount - fee`` at ``start`` (the origination fee is
    withheld at disbursement, so the credit actually made available is smaller than the
    amount the schedule repays), and the payments are each installment's ``payment`` at
    its due date. ``years_between`` documents how dates become years, ``apr_exact``
    solves for X and ``apr`` rounds it for disclosure.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

from blockscore import money

METHODS = ("declining", "flat")
PERIODS_PER_YEAR = {"monthly": 12, "weekly": 52}
# A sanity bound, 1000 % a year nominal: far above any product we would offer, and it
# turns the classic slip of passing 12 (percent) for 0.12 into an error.
MAX_ANNUAL_RATE = Decimal(10)
# Working precision for everything before it is quantized: 50 significant digits keep
# the annuity factor (1 + r) ** -360 and the APR solver far below a minor unit / 1e-30.
PRECISION = 50
# The solver stops when the log-rate moves less than this; the APR is then exact to far
# more places than the one decimal the Directive asks for.
_SOLVER_TOLERANCE = Decimal("1e-40")
_SOLVER_MAX_STEPS = 500


@dataclass(frozen=True)
class Installment:
    """One due payment; every amount at the currency's minor unit.

    ``balance_after`` is the principal still owed once this installment is paid.
    """

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance_after: Decimal


def schedule(
    *,
    amount: Decimal,
    currency: str,
    annual_rate: Decimal,
    term: int,
    method: str,
    frequency: str,
    start: date,
) -> list[Installment]:
    """The installments repaying ``amount`` over ``term`` periods.

    ``annual_rate`` is a fraction (``Decimal("0.12")`` for 12 % a year), nominal: the
    periodic rate is ``annual_rate / periods_per_year``. Invariants kept for every valid
    input: the principal parts add up to ``amount`` exactly, the last ``balance_after`` is
    exactly zero, every ``payment == principal + interest``, nothing is negative and no
    amount has more places than the currency. Bad input raises ``ValueError`` (``TypeError``
    for a float or other wrong type), never a half-built schedule.
    """
    code = _currency_code(currency)
    cur = money.currency(code)
    amount = _as_decimal(amount, "amount")
    annual_rate = _as_decimal(annual_rate, "annual_rate")
    if amount <= 0:
        raise ValueError(f"The amount must be greater than zero, not {amount}.")
    if amount.scaleb(cur.exponent) >= money.MAX_MINOR_UNITS:
        raise ValueError(f"The amount {amount} {code} is too large.")
    if amount.quantize(cur.minor_unit, rounding=ROUND_DOWN) != amount:
        raise ValueError(f"{amount} has more decimal places than {code} allows ({cur.exponent}).")
    amount = amount.quantize(cur.minor_unit)
    if annual_rate < 0:
        raise ValueError(f"The annual rate must not be negative, not {annual_rate}.")
    if annual_rate > MAX_ANNUAL_RATE:
        raise ValueError(
            f"The annual rate {annual_rate} is above {MAX_ANNUAL_RATE} ({MAX_ANNUAL_RATE * 100} % a year):"
            " rates are fractions, 0.12 for 12 %."
        )
    if isinstance(term, bool) or not isinstance(term, int):
        raise TypeError(f"The term must be a whole number of periods, not {term!r}.")
    if term < 1:
        raise ValueError(f"The term must be at least one period, not {term}.")
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}: use one of {', '.join(METHODS)}.")
    if frequency not in PERIODS_PER_YEAR:
        raise ValueError(f"Unknown frequency {frequency!r}: use one of {', '.join(PERIODS_PER_YEAR)}.")
    _check_date(start, "start")

    periods_per_year = PERIODS_PER_YEAR[frequency]
    # Room for every digit of the rate on top of the working precision, so that balance *
    # annual_rate is exact and only the division by periods_per_year rounds (an exact
    # half-unit tie then stays exact and gets banker's rounding, not a coin toss).
    with localcontext(prec=PRECISION + len(annual_rate.as_tuple().digits)):
        if method == "flat" or annual_rate == 0:
            rows = _flat_rows(amount, code, annual_rate, term, periods_per_year)
        else:
            rows = _declining_rows(amount, code, annual_rate, periods_per_year, term)
    return [
        Installment(
            number=number,
            due_date=due_date(start, number, frequency),
            principal=principal,
            interest=interest,
            payment=principal + interest,
            balance_after=balance,
        )
        for number, (principal, interest, balance) in enumerate(rows, start=1)
    ]


def _declining_rows(
    amount: Decimal, code: str, annual_rate: Decimal, periods_per_year: int, term: int
) -> list[tuple[Decimal, Decimal, Decimal]]:
    rate = annual_rate / periods_per_year
    growth = (1 + rate) ** term
    # A rate too small to move (1 + rate) at this precision charges no interest at all.
    level = money.quantize(amount * rate * growth / (growth - 1) if growth != 1 else amount / term, code)
    rows = []
    balance = amount
    for number in range(1, term + 1):
        interest = money.quantize(balance * annual_rate / periods_per_year, code)
        if number == term:
            principal = balance
        else:
            # level >= interest always (the exact payment exceeds amount * rate >= balance
            # * rate and rounding is monotone); min() only bites once rounding has paid
            # the balance off early, so no installment ever repays more than is owed.
            principal = min(level - interest, balance)
        balance -= principal
        rows.append((principal, interest, balance))
    return rows


def _flat_rows(
    amount: Decimal, code: str, annual_rate: Decimal, term: int, periods_per_year: int
) -> list[tuple[Decimal, Decimal, Decimal]]:
    total_interest_due = money.quantize(amount * annual_rate * term / periods_per_year, code)
    principals = _even_shares(amount, code, term)
    interests = _even_shares(total_interest_due, code, term)
    rows = []
    balance = amount
    for principal, interest in zip(principals, interests, strict=True):
        balance -= principal
        rows.append((principal, interest, balance))
    return rows


def _even_shares(total: Decimal, code: str, parts: int) -> list[Decimal]:
    """``parts`` equal shares of whole minor units, the remainder on the last.

    Not ``money.split``: that hands the left-over units to the first shares, and a
    schedule keeps its level payments and settles the difference at the end.
    """
    units = money.to_minor_units(total, code)
    share, remainder = divmod(units, parts)
    shares = [share] * parts
    shares[-1] += remainder
    return [money.from_minor_units(s, code) for s in shares]


def due_date(start: date, number: int, frequency: str) -> date:
    """The due date of installment ``number`` (1-based) of a schedule drawn on ``start``."""
    if frequency == "weekly":
        return start + timedelta(weeks=number)
    if frequency == "monthly":
        return _shift_months_keeping_day(start, number)
    raise ValueError(f"Unknown frequency {frequency!r}: use one of {', '.join(PERIODS_PER_YEAR)}.")


def total_interest(installments: Iterable[Installment]) -> Decimal:
    return sum((i.interest for i in installments), Decimal(0))


def total_payable(installments: Iterable[Installment]) -> Decimal:
    """What the borrower pays over the schedule (principal plus interest, without fees)."""
    return sum((i.payment for i in installments), Decimal(0))


def apr(*, amount: Decimal, fee: Decimal, installments: list[Installment], start: date) -> Decimal:
    """The APR in percent with one decimal place, e.g. ``Decimal("12.7")`` for 12.7 %.

    Rounded as Directive 2008/48/EC, Annex I, remark (d) requires: one decimal place,
    rounded up when the next figure is 5 or more (ROUND_HALF_UP). This is a disclosed
    rate, not an amount of money, so the ledger's banker's rounding does not apply.
    See ``apr_exact`` for the equation and ``years_between`` for the time rule.
    """
    rate = apr_exact(amount=amount, fee=fee, installments=installments, start=start)
    # Enough digits for the tenths of even an absurd rate (a big fee on a week's credit).
    with localcontext(prec=max(PRECISION, rate.adjusted() + 5)):
        return (rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def apr_exact(*, amount: Decimal, fee: Decimal, installments: list[Installment], start: date) -> Decimal:
    """The unrounded APR as a fraction (0.126825... for 12.68 %), solved to ~40 digits.

    Solves Directive 2008/48/EC, Annex I, part I, for X:

        (amount - fee) == sum_l payment_l * (1 + X) ** -t_l

    with one drawdown, ``amount - fee`` at ``start`` (the fee is withheld from the
    disbursement), and ``t_l`` the years from ``start`` to each due date by
    ``years_between``. The period used to count whole periods is weeks when every due
    date is a whole number of weeks after ``start`` but not every one a whole number of
    months (a weekly schedule), and months otherwise.

    Written as ``f(y) = sum_l D_l * exp(-t_l * y) - C`` in ``y = ln(1 + X)``, f is
    strictly decreasing and convex, so the root is unique; it is found by Newton's method
    safeguarded by bisection inside a bracket that always holds the root (Newton steps
    that would leave the bracket, or shrink it too slowly, are replaced by halving).
    """
    amount = _as_decimal(amount, "amount")
    fee = _as_decimal(fee, "fee")
    if amount <= 0:
        raise ValueError(f"The amount must be greater than zero, not {amount}.")
    if fee < 0:
        raise ValueError(f"The fee must not be negative, not {fee}.")
    if fee >= amount:
        raise ValueError(f"The fee ({fee}) must be smaller than the amount ({amount}).")
    _check_date(start, "start")
    if not installments:
        raise ValueError("The APR needs at least one installment.")
    for installment in installments:
        _as_decimal(installment.payment, "payment")
        _check_date(installment.due_date, "due_date")
        if installment.payment < 0:
            raise ValueError(f"Installment {installment.number} has a negative payment.")
        if installment.due_date < start:
            raise ValueError(f"Installment {installment.number} is due before the credit is drawn down.")
    if all(i.payment == 0 or i.due_date == start for i in installments):
        raise ValueError("The APR needs at least one payment after the drawdown.")

    # Whole months unless this is a weekly schedule: every due date whole weeks after
    # start, and not every one whole months (a single 28-day February counts as a month).
    by_month = [_periods_and_days(start, i.due_date, "month") for i in installments]
    weekly = any(days for _, days, _ in by_month) and all((i.due_date - start).days % 7 == 0 for i in installments)
    unit, periods_per_year = ("week", 52) if weekly else ("month", 12)
    with localcontext(prec=PRECISION):
        credit = amount - fee
        flows = []
        for installment, month_split in zip(installments, by_month, strict=True):
            if not installment.payment:
                continue
            periods, days, days_in_year = (
                _periods_and_days(start, installment.due_date, unit) if weekly else month_split
            )
            odd_years = Decimal(days) / days_in_year
            flows.append(
                _Flow(installment.payment, Decimal(periods) / periods_per_year + odd_years, periods, odd_years)
            )
        return _solve(credit, flows, periods_per_year).exp() - 1


@dataclass(frozen=True)
class _Flow:
    """A payment ``amount`` due ``years`` after the drawdown: ``periods`` whole periods
    plus ``odd_years`` (the odd days as a fraction of their year)."""

    amount: Decimal
    years: Decimal
    periods: int
    odd_years: Decimal


def _solve(credit: Decimal, flows: list[_Flow], periods_per_year: int) -> Decimal:
    """y = ln(1 + X) with sum D_l exp(-t_l y) == credit."""

    def value_and_slope(y: Decimal) -> tuple[Decimal, Decimal]:
        # exp(-y/P) ** periods is much cheaper than one exp per payment, and exact enough.
        per_period = (-y / periods_per_year).exp()
        value = slope = Decimal(0)
        for flow in flows:
            discount = per_period**flow.periods
            if flow.odd_years:
                discount *= (-y * flow.odd_years).exp()
            value += flow.amount * discount
            slope -= flow.years * flow.amount * discount
        return value - credit, slope

    low, high = Decimal(0), Decimal(1)
    f_low, _ = value_and_slope(low)
    if f_low == 0:
        return low
    if f_low < 0:
        # The payments are worth less than the credit: a negative rate, y < 0.
        low, high = Decimal(-1), Decimal(0)
        while value_and_slope(low)[0] < 0:
            low *= 2
            if low < -(10**6):
                raise ValueError("The cash flows have no APR.")
    else:
        while value_and_slope(high)[0] > 0:
            high *= 2
            if high > 10**6:
                raise ValueError("The cash flows have no APR.")

    y = low if f_low > 0 else high
    step_before = high - low
    for _ in range(_SOLVER_MAX_STEPS):
        f, slope = value_and_slope(y)
        if f == 0:
            return y
        if f > 0:
            low = y
        else:
            high = y
        newton = y - f / slope if slope else None
        if newton is None or not (low < newton < high) or abs(newton - y) * 2 > step_before:
            new_y = (low + high) / 2
        else:
            new_y = newton
        step_before = abs(new_y - y)
        y = new_y
        if step_before < _SOLVER_TOLERANCE or high - low < _SOLVER_TOLERANCE:
            return y
    raise ValueError("The APR did not converge.")  # pragma: no cover - bisection always converges


def years_between(start: date, end: date, *, unit: str = "month") -> Decimal:
    """The interval from ``start`` to ``end`` in years, by Directive 2008/48/EC Annex I.

    Annex I, part I, remark (c), as replaced by Directive 2011/90/EU: a year has 365
    days (366 in a leap year), 52 weeks or 12 equal months; an interval that is not a
    whole number of periods is a whole number of periods plus a number of days; whole
    periods and then days are counted BACKWARDS from ``end`` to the drawdown; the days
    exclude the first day and include the last, and are divided by the number of days
    (365 or 366) of the complete year counted back from the last day to the same day
    of the previous year.

    Concretely, with ``unit`` "month": step back from ``end`` one calendar month at a
    time, keeping ``end``'s day of month (clamped to shorter months), as long as the
    date reached is not before ``start``; each step is 1/12 year. When ``start`` and
    ``end`` are both the last day of their months, a step that lands in ``start``'s
    month counts as a whole month too (31 Jan -> 28 Feb is one month, 30 Jan -> 28 Feb
    is 29 days). The days from ``start`` to the date reached are divided by the length
    of the year ending on that date (366 if it holds a 29 February). With ``unit``
    "week" each step is 7 days and 1/52 year.
    """
    periods, days, days_in_year = _periods_and_days(start, end, unit)
    with localcontext(prec=PRECISION):
        return Decimal(periods) / (12 if unit == "month" else 52) + Decimal(days) / days_in_year


def _periods_and_days(start: date, end: date, unit: str) -> tuple[int, int, int]:
    if end < start:
        raise ValueError(f"{end} is before {start}.")
    if unit == "week":
        periods = (end - start).days // 7
        anchor = end - timedelta(weeks=periods)
    elif unit == "month":
        # The most whole months there can be, less one if that step back overshoots start.
        periods = _month_index(end) - _month_index(start)
        if periods and _shift_months_keeping_day(end, -periods) < start:
            periods -= 1
        anchor = _shift_months_keeping_day(end, -periods)
        if (
            anchor > start
            and _is_month_end(start)
            and _is_month_end(end)
            and _month_index(anchor) - _month_index(start) == 1
        ):
            periods += 1
            anchor = start
    else:
        raise ValueError(f"Unknown period {unit!r}: use month or week.")
    days = (anchor - start).days
    year_before = _shift_months_keeping_day(anchor, -12)
    return periods, days, (anchor - year_before).days


def _shift_months_keeping_day(day: date, months: int) -> date:
    """``day`` moved by whole months, keeping its day of month, clamped to month end."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _month_index(day: date) -> int:
    return day.year * 12 + day.month


def _currency_code(code: str) -> str:
    if not isinstance(code, str) or code not in money.CURRENCIES:
        raise ValueError(f"Unsupported currency {code!r}: use one of {', '.join(sorted(money.CURRENCIES))}.")
    return code


def _as_decimal(value, name: str) -> Decimal:
    """A finite Decimal from a Decimal, int or str; a float raises TypeError (as in money)."""
    try:
        return money.to_decimal(value)
    except money.InvalidAmount as exc:
        raise ValueError(f"{name} must be a finite number, not {value!r}.") from exc
    except TypeError as exc:
        raise TypeError(f"{name}: {exc}") from exc


def _check_date(value, name: str) -> None:
    # A datetime is a date too, but a due date with a time of day is a caller bug.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__}.")

"""Loan schedule arithmetic and the Directive 2008/48/EC APR: pure, no database."""

import calendar
import math
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blockscore import money
from loans import schedules
from loans.schedules import Installment

D = Decimal
START = date(2025, 1, 15)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)


def make(
    amount="1000.00", currency="USD", annual_rate="0.12", term=12, method="declining", frequency="monthly", start=START
):
    return schedules.schedule(
        amount=D(amount) if isinstance(amount, str) else amount,
        currency=currency,
        annual_rate=D(annual_rate) if isinstance(annual_rate, str) else annual_rate,
        term=term,
        method=method,
        frequency=frequency,
        start=start,
    )


def payment(due_date, amount):
    """A bare cash flow, for APR cases that are not produced by ``schedule``."""
    return Installment(1, due_date, D(amount), D(0), D(amount), D(0))


# --- worked examples -------------------------------------------------------------------


def test_declining_usd_matches_the_standard_annuity_table():
    # 1000 at 1 % a month for 12 months: 1000 * 0.01 / (1 - 1.01 ** -12) = 88.8488 -> 88.85.
    rows = make()

    assert [r.payment for r in rows[:-1]] == [D("88.85")] * 11
    assert (rows[0].interest, rows[0].principal, rows[0].balance_after) == (D("10.00"), D("78.85"), D("921.15"))
    # 921.15 * 0.01 = 9.2115 -> 9.21
    assert (rows[1].interest, rows[1].principal, rows[1].balance_after) == (D("9.21"), D("79.64"), D("841.51"))
    # The last installment takes what is left (87.96) plus its interest, 0.8796 -> 0.88.
    assert rows[-1] == Installment(12, date(2026, 1, 15), D("87.96"), D("0.88"), D("88.84"), D("0.00"))
    assert schedules.total_interest(rows) == D("66.19")
    assert schedules.total_payable(rows) == D("1066.19")


def test_interest_ties_use_bankers_rounding():
    # 1000.50 * 1 % = 10.005: half-even gives 10.00 (half-up would give 10.01) ...
    (declining,) = make(amount="1000.50", term=1)
    # ... and 250.25 * 12 % * 2/12 = 5.005 of flat interest likewise, 2.50 + 2.50.
    flat = make(amount="250.25", term=2, method="flat")

    assert declining.interest == D("10.00")
    assert [r.interest for r in flat] == [D("2.50"), D("2.50")]


def test_every_digit_of_the_rate_counts():
    # 1000.50 * (12 % + 1e-30) / 12 is a hair above 10.005, so it rounds up to 10.01:
    # the product must not be cut to 28 digits, which would make it a tie (10.00).
    (row,) = make(amount="1000.50", annual_rate="0.120000000000000000000000000001", term=1)

    assert row.interest == D("10.01")


def test_level_payment_is_rounded_to_nearest_not_up():
    # 1000 * 0.01 / (1 - 1.01 ** -24) = 47.0735 -> 47.07; the last installment makes up the rest.
    rows = make(term=24)

    assert {r.payment for r in rows[:-1]} == {D("47.07")}
    assert rows[-1].payment > D("47.07")


def test_declining_kwd_keeps_three_places():
    rows = make(amount="1000.000", currency="KWD")

    # 88.84878868... -> 88.849; first interest 10.000, so 78.849 of principal.
    assert rows[0] == Installment(1, date(2025, 2, 15), D("78.849"), D("10.000"), D("88.849"), D("921.151"))
    assert sum(r.principal for r in rows) == D("1000.000")


def test_declining_jpy_has_no_fractional_yen():
    rows = make(amount="100000", currency="JPY", annual_rate="0.15")

    # r = 0.0125: 100000 * 0.0125 / (1 - 1.0125 ** -12) = 9025.83 -> 9026; 1250 interest first.
    assert rows[0] == Installment(1, date(2025, 2, 15), D("7776"), D("1250"), D("9026"), D("92224"))
    # 92224 * 0.0125 = 1152.8 -> 1153
    assert rows[1].interest == D("1153")
    assert all(r.payment.as_tuple().exponent == 0 for r in rows)
    assert rows[-1].balance_after == D("0") and sum(r.principal for r in rows) == D("100000")


def test_flat_charges_interest_on_the_original_amount_for_the_whole_term():
    rows = make(method="flat")

    # 1000 * 12 % * 12/12 = 120.00 in equal shares of 10.00; 1000/12 = 83.33 with 0.04 left over.
    assert [(r.principal, r.interest) for r in rows[:-1]] == [(D("83.33"), D("10.00"))] * 11
    assert rows[-1] == Installment(12, date(2026, 1, 15), D("83.37"), D("10.00"), D("93.37"), D("0.00"))
    assert schedules.total_interest(rows) == D("120.00")


def test_flat_interest_remainder_goes_to_the_last_installment():
    # 1000 * 10 % * 7/12 = 58.333... -> 58.33 = 6 * 8.33 + 8.35
    rows = make(method="flat", annual_rate="0.10", term=7)

    assert [r.interest for r in rows] == [D("8.33")] * 6 + [D("8.35")]
    # 1000 / 7 = 142.857...: 142.85 six times and 142.90 last
    assert [r.principal for r in rows] == [D("142.85")] * 6 + [D("142.90")]


@pytest.mark.parametrize("method", ["declining", "flat"])
def test_zero_rate_spreads_the_amount_with_the_remainder_last(method):
    usd = make(amount="100.00", annual_rate="0", term=3, method=method)
    jpy = make(amount="1000", currency="JPY", annual_rate="0", term=7, method=method)

    assert [(r.principal, r.interest, r.payment) for r in usd] == [(D("33.33"), D("0.00"), D("33.33"))] * 2 + [
        (D("33.34"), D("0.00"), D("33.34"))
    ]
    assert [r.principal for r in jpy] == [D("142")] * 6 + [D("148")]
    assert [r.balance_after for r in usd] == [D("66.67"), D("33.34"), D("0.00")]


def test_single_installment_repays_everything_with_one_period_of_interest():
    (row,) = make(term=1)

    assert row == Installment(1, date(2025, 2, 15), D("1000.00"), D("10.00"), D("1010.00"), D("0.00"))


def test_monthly_due_dates_clamp_to_month_end_but_follow_the_start_day():
    leap = make(term=5, start=date(2024, 1, 31))
    common = make(term=3, start=date(2025, 1, 31))
    thirtieth = make(term=3, start=date(2025, 1, 30))

    assert [r.due_date for r in leap] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]
    assert [r.due_date for r in common] == [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]
    assert [r.due_date for r in thirtieth] == [date(2025, 2, 28), date(2025, 3, 30), date(2025, 4, 30)]


def test_monthly_due_dates_cross_the_year():
    rows = make(term=14, start=date(2025, 11, 30))

    assert [r.due_date for r in rows[:4]] == [
        date(2025, 12, 30),
        date(2026, 1, 30),
        date(2026, 2, 28),
        date(2026, 3, 30),
    ]
    assert rows[-1].due_date == date(2027, 1, 30)


def test_weekly_schedule_is_due_every_seven_days_at_the_weekly_rate():
    rows = make(annual_rate="0.10", term=52, frequency="weekly")

    assert [r.due_date for r in rows[:3]] == [date(2025, 1, 22), date(2025, 1, 29), date(2025, 2, 5)]
    assert rows[-1].due_date == date(2026, 1, 14)
    # 1000 * 0.10 / 52 = 1.923 -> 1.92
    assert rows[0].interest == D("1.92")


def test_installment_is_frozen():
    row = make(term=1)[0]

    with pytest.raises(AttributeError):
        row.payment = D("1")


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"amount": D("0")}, "greater than zero"),
        ({"amount": D("-5.00")}, "greater than zero"),
        ({"term": 0}, "at least one period"),
        ({"term": -3}, "at least one period"),
        ({"annual_rate": D("-0.01")}, "must not be negative"),
        ({"method": "balloon"}, "Unknown method"),
        ({"frequency": "daily"}, "Unknown frequency"),
        ({"currency": "XYZ"}, "Unsupported currency"),
        ({"currency": "usd"}, "Unsupported currency"),
        ({"amount": D("1.005")}, "more decimal places than USD"),
        ({"amount": D("1.5"), "currency": "JPY"}, "more decimal places than JPY"),
        ({"amount": D("0.000000001"), "currency": "BTC"}, "more decimal places than BTC"),
        ({"amount": D("10000000000000.00")}, "too large"),
        ({"amount": D("1E+40")}, "too large"),
        ({"annual_rate": D("12")}, "rates are fractions"),
        ({"amount": D("NaN")}, "finite"),
        ({"annual_rate": D("Infinity")}, "finite"),
    ],
)
def test_schedule_refuses_bad_input_with_a_clear_message(changes, message):
    arguments = {"amount": D("1000.00"), "currency": "USD", "annual_rate": D("0.12"), "term": 12}
    arguments |= {"method": "declining", "frequency": "monthly", "start": START} | changes

    with pytest.raises(ValueError, match=message):
        schedules.schedule(**arguments)


def test_trailing_zeros_within_the_currency_scale_are_fine():
    assert make(amount="1000.000")[0].principal == D("78.85")


@pytest.mark.parametrize(
    "changes",
    [{"amount": 1000.0}, {"annual_rate": 0.12}, {"term": 12.0}, {"term": True}, {"start": "2025-01-15"}],
)
def test_schedule_refuses_floats_and_wrong_types(changes):
    arguments = {"amount": D("1000.00"), "currency": "USD", "annual_rate": D("0.12"), "term": 12}
    arguments |= {"method": "declining", "frequency": "monthly", "start": START} | changes

    with pytest.raises(TypeError):
        schedules.schedule(**arguments)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"amount": D("0")}, "greater than zero"),
        ({"fee": D("-1")}, "must not be negative"),
        ({"fee": D("1000.00")}, "smaller than the amount"),
        ({"installments": []}, "at least one installment"),
        ({"installments": [payment(date(2025, 1, 14), "1010")]}, "before the credit is drawn down"),
        ({"installments": [payment(START, "1010")]}, "at least one payment after"),
        ({"installments": [payment(date(2025, 2, 15), "-1")]}, "negative payment"),
    ],
)
def test_apr_refuses_bad_input(changes, message):
    arguments = {"amount": D("1000.00"), "fee": D("0"), "installments": make(), "start": START} | changes

    with pytest.raises(ValueError, match=message):
        schedules.apr(**arguments)


@pytest.mark.parametrize("changes", [{"amount": 1000.0}, {"fee": 0.5}])
def test_apr_refuses_floats(changes):
    arguments = {"amount": D("1000.00"), "fee": D("0"), "installments": make(), "start": START} | changes

    with pytest.raises(TypeError):
        schedules.apr_exact(**arguments)


# --- time between dates (Annex I, remark (c) as amended by Directive 2011/90/EU) --------


@pytest.mark.parametrize(
    "start, end, unit, expected",
    [
        # whole months only
        (date(2019, 1, 12), date(2020, 1, 12), "month", F(1)),
        (date(2025, 1, 15), date(2025, 4, 15), "month", F(3, 12)),
        # 15 Feb back one month is 15 Jan; 12 -> 15 Jan is 3 days; 15 Jan 2011 -> 15 Jan 2012 is 365 days
        (date(2012, 1, 12), date(2012, 2, 15), "month", F(1, 12) + F(3, 365)),
        (date(2012, 1, 12), date(2012, 3, 15), "month", F(2, 12) + F(3, 365)),
        # the year counted back from 15 Jan 2013 holds 29 Feb 2012: 366 days
        (date(2013, 1, 12), date(2013, 2, 15), "month", F(1, 12) + F(3, 366)),
        # odd days only: 10 days, year back from 11 Jan 2023 has 365 days ...
        (date(2023, 1, 1), date(2023, 1, 11), "month", F(10, 365)),
        # ... and from 11 Mar 2024 it has 366 (it holds 29 Feb 2024)
        (date(2024, 3, 1), date(2024, 3, 11), "month", F(10, 366)),
        # both dates month ends: whole months (31 Dec -> 31 Jan -> 28 Feb)
        (date(2024, 12, 31), date(2025, 2, 28), "month", F(2, 12)),
        (date(2025, 1, 31), date(2025, 2, 28), "month", F(1, 12)),
        (date(2024, 2, 29), date(2025, 3, 31), "month", F(13, 12)),
        # 30 Jan is not a month end: 28 Feb back one month is 28 Jan, before the start, so
        # 29 days, over the year 28 Feb 2024 -> 28 Feb 2025 (holds 29 Feb 2024: 366)
        (date(2025, 1, 30), date(2025, 2, 28), "month", F(29, 366)),
        # counted BACKWARDS: 27 Feb 2025 back 11 months is 27 Mar 2024; 28 Feb -> 27 Mar is
        # 28 days over the year back from 27 Mar 2024 (366)
        (date(2024, 2, 28), date(2025, 2, 27), "month", F(11, 12) + F(28, 366)),
        # weeks
        (date(2012, 1, 12), date(2012, 1, 26), "week", F(2, 52)),
        (date(2012, 1, 12), date(2013, 1, 10), "week", F(1)),
        (date(2012, 1, 12), date(2012, 1, 30), "week", F(2, 52) + F(4, 365)),
        (date(2025, 3, 3), date(2025, 3, 3), "month", F(0)),
    ],
)
def test_years_between_follows_annex_i(start, end, unit, expected):
    assert abs(F(schedules.years_between(start, end, unit=unit)) - expected) < F(1, 10**40)


def test_years_between_refuses_an_end_before_the_start():
    with pytest.raises(ValueError):
        schedules.years_between(date(2025, 2, 1), date(2025, 1, 1))


# --- APR -------------------------------------------------------------------------------


def test_apr_without_fee_is_the_effective_rate_of_the_nominal_rate():
    rows = make()

    # (1 + 0.12/12) ** 12 - 1 = 0.126825...: 12.7 %; the rounded last payment moves it by ~1e-5
    assert schedules.apr(amount=D("1000.00"), fee=D(0), installments=rows, start=START) == D("12.7")
    exact = schedules.apr_exact(amount=D("1000.00"), fee=D(0), installments=rows, start=START)
    assert abs(exact - (D("1.01") ** 12 - 1)) < D("0.00005")


def test_a_fee_withheld_at_disbursement_raises_the_apr():
    rows = make()

    # 980.00 made available against the same 12 payments: monthly IRR 1.3215 %, 17.06 % a year
    assert schedules.apr(amount=D("1000.00"), fee=D("20.00"), installments=rows, start=START) == D("17.1")


def test_weekly_apr_compounds_52_times_a_year():
    rows = make(annual_rate="0.10", term=52, frequency="weekly")

    # (1 + 0.10/52) ** 52 - 1 = 0.10506...
    assert schedules.apr(amount=D("1000.00"), fee=D(0), installments=rows, start=START) == D("10.5")


def test_flat_rate_apr_is_nearly_double_the_flat_rate():
    rows = make(method="flat")

    # 1000 repaid by 11 x 93.33 + 93.37 monthly: IRR 1.7857 % a month, 23.70 % a year
    assert schedules.apr(amount=D("1000.00"), fee=D(0), installments=rows, start=START) == D("23.7")


def test_zero_rate_without_fee_has_zero_apr():
    rows = make(annual_rate="0")

    assert schedules.apr_exact(amount=D("1000.00"), fee=D(0), installments=rows, start=START) == 0
    assert schedules.apr(amount=D("1000.00"), fee=D(0), installments=rows, start=START) == D("0.0")


@pytest.mark.parametrize(
    "due, paid, years",
    [
        # one year later: 1100 for 1000 is exactly 10 %
        (date(2026, 1, 15), "1100", "1"),
        # two years: 1000 * 1.1 ** 2
        (date(2027, 1, 15), "1210", "2"),
        # six whole months: 1000 * 1.21 ** (6/12) = 1100
        (date(2025, 7, 15), "1100", "0.5"),
        # 10 days over the 365 of the year back from 25 Jan 2023
        (date(2023, 1, 25), "1010", "10/365"),
        # 10 days over the 366 of the year back from 25 Mar 2024 (it holds 29 Feb 2024)
        (date(2024, 3, 25), "1010", "10/366"),
    ],
)
def test_apr_of_a_single_repayment_has_a_closed_form(due, paid, years):
    start = due - timedelta(days=10) if "/" in years else START
    rows = [payment(due, paid)]

    exact = schedules.apr_exact(amount=D("1000"), fee=D(0), installments=rows, start=start)

    with localcontext(prec=50):
        numerator, _, denominator = years.partition("/")
        t = D(numerator) / D(denominator or 1)
        expected = (D(paid) / 1000) ** (1 / t) - 1
        assert abs(exact - expected) < D("1e-30")


def test_apr_rounds_half_up_to_one_decimal_as_annex_i_requires():
    # exactly 12.65 %: ROUND_HALF_UP gives 12.7 (banker's rounding would give 12.6)
    rows = [payment(date(2026, 1, 15), "1126.50")]

    assert schedules.apr(amount=D("1000.00"), fee=D(0), installments=rows, start=START) == D("12.7")


def test_apr_uses_odd_days_when_a_due_date_is_not_a_whole_month():
    # start 30 Jan: the 28 Feb payment is 29/366 of a year, not 1/12, so the APR is higher
    # than for the same payments from 31 Jan (whole months).
    from_30th = make(start=date(2025, 1, 30))
    from_31st = make(start=date(2025, 1, 31))
    assert [r.payment for r in from_30th] == [r.payment for r in from_31st]

    on_30th = schedules.apr_exact(amount=D("1000.00"), fee=D(0), installments=from_30th, start=date(2025, 1, 30))
    on_31st = schedules.apr_exact(amount=D("1000.00"), fee=D(0), installments=from_31st, start=date(2025, 1, 31))

    assert on_31st == schedules.apr_exact(amount=D("1000.00"), fee=D(0), installments=make(), start=START)
    assert on_30th > on_31st


def test_apr_of_a_rate_so_high_it_needs_a_wide_bracket():
    # 1000 lent, 10 000 back a week later: X = 10 ** 52 - 1
    rows = [payment(date(2025, 1, 22), "10000")]

    exact = schedules.apr_exact(amount=D("1000"), fee=D(0), installments=rows, start=START)

    assert abs(exact / (D(10) ** 52 - 1) - 1) < D("1e-30")


def test_apr_below_zero_when_less_is_repaid_than_was_lent():
    rows = [payment(date(2026, 1, 15), "900")]

    exact = schedules.apr_exact(amount=D("1000"), fee=D(0), installments=rows, start=START)

    assert abs(exact - D("-0.1")) < D("1e-30")


# --- properties ------------------------------------------------------------------------

CURRENCIES = ["USD", "JPY", "KWD", "BTC", "BHD", "EUR"]
rates = st.integers(min_value=0, max_value=600_000).map(lambda ppm: D(ppm) / 1_000_000)
starts = st.dates(min_value=date(1999, 1, 1), max_value=date(2100, 12, 31))


def _last_day(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


@st.composite
def loans(draw, *, min_units=1, whole_periods=False):
    """Valid schedule arguments; ``whole_periods`` keeps every due date a whole number of
    periods after the start (start day 1..28 or a month end), so each payment is due at
    exactly k/12 or k/52 years."""
    code = draw(st.sampled_from(CURRENCIES))
    frequency = draw(st.sampled_from(["monthly", "weekly"]))
    # sampled_from spreads terms evenly; st.integers would mostly draw the bounds.
    term = draw(st.sampled_from(range(1, (360 if frequency == "monthly" else 260) + 1)))
    # Half of the amounts from the top of the range too, where the 15-digit cap bites.
    low = draw(st.sampled_from([min_units, max(min_units, 10**9)]))
    units = draw(st.integers(min_value=low, max_value=money.MAX_MINOR_UNITS - 1))
    start = draw(starts)
    if whole_periods and frequency == "monthly" and start.day > 28:
        start = start.replace(day=_last_day(start))
    return {
        "amount": money.from_minor_units(units, code),
        "currency": code,
        "annual_rate": draw(rates),
        "term": term,
        "method": draw(st.sampled_from(["declining", "flat"])),
        "frequency": frequency,
        "start": start,
    }


def _expected_due_date(start, number, frequency):
    if frequency == "weekly":
        return start + timedelta(days=7 * number)
    year, month = divmod(start.month - 1 + number, 12)
    year += start.year
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


@PROPERTY_SETTINGS
@given(loans())
def test_schedule_invariants(loan):
    code, amount, term = loan["currency"], loan["amount"], loan["term"]
    unit = money.currency(code).minor_unit
    per_year = schedules.PERIODS_PER_YEAR[loan["frequency"]]

    rows = schedules.schedule(**loan)

    assert len(rows) == term
    assert sum(r.principal for r in rows) == amount
    assert rows[-1].balance_after == 0
    balance = amount
    for number, row in enumerate(rows, start=1):
        assert row.number == number
        assert row.due_date == _expected_due_date(loan["start"], number, loan["frequency"])
        assert row.payment == row.principal + row.interest
        assert min(row.principal, row.interest, row.payment, row.balance_after) >= 0
        assert row.balance_after == balance - row.principal
        for value in (row.principal, row.interest, row.payment, row.balance_after):
            assert value.as_tuple().exponent == -money.currency(code).exponent
        if loan["method"] == "declining":
            with localcontext(prec=50):
                assert row.interest == money.quantize(balance * loan["annual_rate"] / per_year, code)
        balance = row.balance_after
    assert schedules.total_payable(rows) == amount + schedules.total_interest(rows)

    if loan["method"] == "flat":
        with localcontext(prec=50):
            expected_interest = money.quantize(amount * loan["annual_rate"] * term / per_year, code)
        assert schedules.total_interest(rows) == expected_interest
        assert len({(r.principal, r.interest) for r in rows[:-1]}) <= 1
        assert rows[-1].principal >= rows[0].principal and rows[-1].interest >= rows[0].interest
        assert rows[-1].principal - rows[0].principal < term * unit
        strictly_decreasing = amount >= term * unit
    else:
        with localcontext(prec=50):
            periodic_rate = loan["annual_rate"] / per_year
            if periodic_rate:
                growth = (1 + periodic_rate) ** term
                level = money.quantize(amount * periodic_rate * growth / (growth - 1), code)
                first_principal, accumulated = amount * periodic_rate / (growth - 1), (growth - 1) / periodic_rate
            else:
                level = money.quantize(amount / term, code, rounding=ROUND_DOWN)
                first_principal, accumulated = amount / term, D(term)
        # Level payments: every installment but the last pays the annuity payment, rounded,
        # except where rounding paid the balance off early (the rest are then smaller).
        assert {r.payment for r in rows[:-1] if r.balance_after > 0} <= {level}
        # Rounding cannot stall the amortisation when the exact first-period principal
        # exceeds the worst accumulated rounding (one unit a period, compounded).
        strictly_decreasing = first_principal > accumulated * unit
    if strictly_decreasing:
        balances = [amount] + [r.balance_after for r in rows]
        assert all(later < earlier for earlier, later in zip(balances, balances[1:], strict=False))


@PROPERTY_SETTINGS
@given(loans(whole_periods=True), st.integers(min_value=0, max_value=999))
def test_apr_makes_the_payments_worth_the_credit_made_available(loan, fee_permille):
    code = loan["currency"]
    amount = loan["amount"]
    fee = money.quantize(amount * fee_permille / 1000, code, rounding=ROUND_DOWN)
    rows = schedules.schedule(**loan)
    per_year = schedules.PERIODS_PER_YEAR[loan["frequency"]]

    exact = schedules.apr_exact(amount=amount, fee=fee, installments=rows, start=loan["start"])

    with localcontext(prec=60):
        log_growth = (1 + exact).ln()
        present_value = sum(r.payment * (-log_growth * r.number / per_year).exp() for r in rows)
        assert abs(present_value - (amount - fee)) <= amount * D("1e-30")
    # Percent to one decimal, half up, in exact rational arithmetic (the rate can be huge).
    tenths_of_percent = math.floor(F(exact) * 1000 + F(1, 2))
    assert schedules.apr(amount=amount, fee=fee, installments=rows, start=loan["start"]) == D(f"{tenths_of_percent}E-1")
    if fee:
        assert exact > schedules.apr_exact(amount=amount, fee=D(0), installments=rows, start=loan["start"])
    if fee == 0 and loan["annual_rate"] == 0:
        assert exact == 0


@PROPERTY_SETTINGS
@given(loans(min_units=10**6, whole_periods=True))
def test_declining_apr_without_fee_is_the_effective_rate_within_rounding(loan):
    loan["method"] = "declining"
    per_year = schedules.PERIODS_PER_YEAR[loan["frequency"]]
    rows = schedules.schedule(**loan)

    exact = schedules.apr_exact(amount=loan["amount"], fee=D(0), installments=rows, start=loan["start"])

    with localcontext(prec=50):
        effective = (1 + loan["annual_rate"] / per_year) ** per_year - 1
        # Each period's interest is off by at most half a unit, worth at most term/2 units
        # in total; spread over the amount that moves the periodic rate by about
        # term * unit / (2 * amount), and the annual rate by per_year * (1 + i) ** per_year
        # (<= 2) times that. Twice that bound again as margin:
        slack = 2 * per_year * loan["term"] * money.currency(loan["currency"]).minor_unit / loan["amount"]
        assert effective - slack <= exact <= effective + slack

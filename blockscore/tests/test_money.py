from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blockscore import money


@pytest.mark.parametrize(
    "code, text, expected",
    [("USD", "12.5", "12.50"), ("JPY", "1000", "1000"), ("KWD", "1.234", "1.234"), ("BTC", "0.00000001", "0.00000001")],
)
def test_parse_amount_accepts_valid_strings_at_the_currency_scale(code, text, expected):
    value = money.parse_amount(text, code)

    assert value == Decimal(expected) and money.format_amount(value, code) == expected


@pytest.mark.parametrize(
    "value",
    ["-1", "0", "NaN", "Infinity", "1e3", "1.001", " ", "", "12,50", "0x10", "1.2.3", 1.5, True, None, [], "10" * 20],
)
def test_parse_amount_refuses_bad_amounts(value):
    with pytest.raises(money.InvalidAmount):
        money.parse_amount(value, "USD")


def test_parse_amount_refuses_places_beyond_the_minor_unit():
    with pytest.raises(money.InvalidAmount):
        money.parse_amount("1.5", "JPY")


def test_unknown_currency_is_refused():
    with pytest.raises(money.UnknownCurrency):
        money.parse_amount("1", "XYZ")


def test_floats_are_refused_everywhere():
    with pytest.raises(TypeError):
        money.to_decimal(0.1)
    with pytest.raises(TypeError):
        money.quantize(0.1, "USD")


def test_quantize_uses_bankers_rounding():
    assert money.quantize(Decimal("2.345"), "USD") == Decimal("2.34")
    assert money.quantize(Decimal("2.355"), "USD") == Decimal("2.36")
    assert money.quantize(Decimal("0.5"), "JPY") == Decimal("0")


def test_exact_refuses_to_round():
    with pytest.raises(money.LossyAmount):
        money.exact(Decimal("1.005"), "USD")


def test_split_hands_out_leftover_cents():
    assert money.split(Decimal("100.00"), "USD", 3) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert money.split(Decimal("10"), "JPY", [1, 2]) == [Decimal("3"), Decimal("7")]


currencies = st.sampled_from(sorted(money.CURRENCIES))


@st.composite
def amounts(draw, code=None):
    code = code or draw(currencies)
    units = draw(st.integers(min_value=-(10**15), max_value=10**15))
    return code, money.from_minor_units(units, code)


@given(amounts(), st.integers(min_value=1, max_value=50))
def test_split_into_equal_parts_never_loses_a_unit(pair, parts):
    code, amount = pair

    shares = money.split(amount, code, parts)

    assert sum(shares) == amount
    assert len(shares) == parts
    assert max(shares) - min(shares) <= money.currency(code).minor_unit
    assert all(share == money.exact(share, code) for share in shares)


@given(amounts(), st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=20).filter(any))
def test_weighted_split_never_loses_a_unit(pair, weights):
    code, amount = pair

    assert sum(money.split(amount, code, weights)) == amount


@given(amounts())
def test_minor_units_round_trip(pair):
    code, amount = pair

    assert money.from_minor_units(money.to_minor_units(amount, code), code) == amount


@given(currencies, st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12))
def test_quantize_is_idempotent_and_within_half_a_unit(code, value):
    once = money.quantize(value, code)

    assert money.quantize(once, code) == once
    assert abs(once - value) <= money.currency(code).minor_unit / 2


def test_amounts_beyond_the_request_cap_are_refused_per_currency():
    assert money.parse_amount("9999999.99999999", "BTC") == Decimal("9999999.99999999")
    with pytest.raises(money.InvalidAmount):
        money.parse_amount("10000000", "BTC")
    with pytest.raises(money.InvalidAmount):
        money.parse_amount("1000000000000000", "JPY")

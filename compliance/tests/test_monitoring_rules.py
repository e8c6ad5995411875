"""The monitoring rules as pure functions: what fires, what does not, and what they explain."""

from datetime import UTC, datetime, timedelta

import pytest

from compliance.monitoring import rules
from compliance.monitoring.rules import DEFAULTS, Movement

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def mv(entry_id, amount_minor, *, at=NOW, currency="USD", kind="transfer", countries=()):
    return Movement(entry_id, kind, currency, amount_minor, at, tuple(countries))


def test_large_transaction_fires_at_the_threshold_in_either_direction():
    params = DEFAULTS["large_transaction"]
    [finding] = rules.large_transaction(mv(1, -1_000_000), [], params)
    assert finding.details == {
        "entry": 1,
        "currency": "USD",
        "amount": "10000.00",
        "threshold": "10000.00",
        "direction": "out",
    }
    assert "10000.00 USD out" in finding.summary
    assert rules.large_transaction(mv(2, 1_200_000), [], params)[0].details["direction"] == "in"
    assert rules.large_transaction(mv(3, 999_999), [], params) == []


def test_large_transaction_uses_the_currency_exponent_and_skips_unconfigured_currencies():
    params = {"thresholds": {"JPY": "1500000", "BTC": "0.25"}}
    assert rules.large_transaction(mv(1, 1_500_000, currency="JPY"), [], params)
    assert not rules.large_transaction(mv(2, 24_999_999, currency="BTC"), [], params)
    assert rules.large_transaction(mv(3, 25_000_000, currency="BTC"), [], params)
    assert rules.large_transaction(mv(4, 10**12, currency="USD"), [], params) == []


def test_structuring_needs_three_just_under_within_the_window():
    params = DEFAULTS["structuring"]
    earlier = [mv(1, -950_000, at=NOW - timedelta(hours=20)), mv(2, -920_000, at=NOW - timedelta(hours=3))]
    trigger = mv(3, -990_000)
    [finding] = rules.structuring(trigger, [*earlier, trigger], params)
    assert finding.details["count"] == 3
    assert finding.details["entries"] == [1, 2, 3]
    assert finding.details["band_floor"] == "9000.00"
    assert finding.details["total"] == "28600.00"


def test_structuring_ignores_old_out_of_band_and_other_currency_movements():
    params = DEFAULTS["structuring"]
    history = [
        mv(1, -950_000, at=NOW - timedelta(hours=25)),  # outside 24h
        mv(2, -899_999, at=NOW - timedelta(hours=1)),  # below the band
        mv(3, -1_000_000, at=NOW - timedelta(hours=1)),  # at the threshold: large, not structuring
        mv(4, -950_000, at=NOW - timedelta(hours=1), currency="EUR"),
        mv(5, -950_000, at=NOW - timedelta(hours=2)),
    ]
    trigger = mv(6, -960_000)
    assert rules.structuring(trigger, [*history, trigger], params) == []
    # the trigger itself must be just under the threshold
    assert rules.structuring(mv(7, -500_000), [*history, trigger], params) == []


def test_velocity_fires_far_above_the_norm_with_the_minimum():
    params = DEFAULTS["velocity"]
    # a norm of one 50 USD movement a day for 30 days
    baseline = [mv(100 + d, -5_000, at=NOW - timedelta(days=d, hours=1)) for d in range(2, 31)]
    burst = [mv(i, -50_000, at=NOW - timedelta(minutes=i)) for i in range(1, 12)]
    trigger = burst[0]
    [finding] = rules.velocity(trigger, [*baseline, *burst], params)
    assert finding.details["count"] == 11
    assert finding.details["amount"] == "5500.00"
    assert "11 movements in 24h" in finding.summary
    assert "5500.00 USD moved in 24h" in finding.summary


def test_velocity_stays_quiet_within_the_norm_or_below_the_minimum():
    params = DEFAULTS["velocity"]
    busy_norm = [mv(100 + i, -30_000, at=NOW - timedelta(days=2 + i % 28, minutes=i)) for i in range(600)]
    burst = [mv(i, -20_000, at=NOW - timedelta(minutes=i)) for i in range(1, 12)]
    assert rules.velocity(burst[0], [*busy_norm, *burst], params) == []
    # a new customer: nothing to compare with, but below both minimums
    small = [mv(i, -1_000, at=NOW - timedelta(minutes=i)) for i in range(1, 5)]
    assert rules.velocity(small[0], small, params) == []


def test_rapid_movement_when_most_of_what_came_in_goes_out_within_the_hour():
    params = DEFAULTS["rapid_movement"]
    incoming = mv(1, 500_000, at=NOW - timedelta(minutes=40))
    out1 = mv(2, -200_000, at=NOW - timedelta(minutes=10))
    trigger = mv(3, -260_000)
    [finding] = rules.rapid_movement(trigger, [incoming, out1, trigger], params)
    assert finding.details["in"] == "5000.00"
    assert finding.details["out"] == "4600.00"
    assert finding.details["entries_in"] == [1]
    assert finding.details["entries_out"] == [2, 3]
    assert "(92%)" in finding.summary


def test_rapid_movement_not_below_the_ratio_nor_after_the_hour_nor_on_money_in():
    params = DEFAULTS["rapid_movement"]
    incoming = mv(1, 500_000, at=NOW - timedelta(minutes=40))
    assert rules.rapid_movement(mv(2, -440_000), [incoming, mv(2, -440_000)], params) == []
    old = mv(1, 500_000, at=NOW - timedelta(minutes=61))
    assert rules.rapid_movement(mv(2, -500_000), [old, mv(2, -500_000)], params) == []
    assert rules.rapid_movement(incoming, [incoming], params) == []
    small_in = mv(1, 50_000, at=NOW - timedelta(minutes=5))
    assert rules.rapid_movement(mv(2, -50_000), [small_in, mv(2, -50_000)], params) == []


def test_high_risk_country_names_the_listed_country():
    params = DEFAULTS["high_risk_country"]
    [finding] = rules.high_risk_country(mv(1, 10_000, countries=["GB", "IR"]), [], params)
    assert finding.details["countries"] == ["IR"]
    assert "from a counterparty tied to IR" in finding.summary
    assert rules.high_risk_country(mv(2, -10_000, countries=["GB"]), [], params) == []
    assert rules.high_risk_country(mv(3, -10_000), [], params) == []


def test_evaluate_deduplicates_findings_of_one_entry():
    trigger = mv(1, -2_000_000)
    found = rules.evaluate("large_transaction", [trigger, trigger], [trigger], DEFAULTS["large_transaction"])
    assert len(found) == 1


@pytest.mark.parametrize("code", sorted(DEFAULTS))
def test_defaults_are_valid_parameters(code):
    clean = rules.validate_parameters(code, DEFAULTS[code])
    assert rules.validate_parameters(code, clean) == clean


@pytest.mark.parametrize(
    "code,parameters,message",
    [
        ("large_transaction", {"thresholds": {"USD": "-5"}}, "not a positive amount"),
        ("large_transaction", {"thresholds": {"XXX": "5"}}, "unknown currency"),
        ("large_transaction", {"thresholds": {"USD": 5.5}}, "not a positive amount"),
        ("large_transaction", {}, "exactly"),
        ("structuring", {**DEFAULTS["structuring"], "band_percent": 150}, "band_percent"),
        ("high_risk_country", {"countries": ["IRN"]}, "alpha-2"),
        ("velocity", "nope", "JSON object"),
        ("nonsense", {}, "unknown rule"),
    ],
)
def test_invalid_parameters_are_refused(code, parameters, message):
    with pytest.raises(ValueError, match=message):
        rules.validate_parameters(code, parameters)

"""Transaction monitoring rules: pure functions over a customer's recent movements.

Each rule is ``rule(trigger, history, parameters) -> list[Finding]``:

- ``trigger`` is the customer's side of the entry being checked (one ``Movement`` per
  posting on one of the customer's wallets; an FX exchange gives two);
- ``history`` is the customer's movements up to and including the trigger (the caller
  loads the last ``HISTORY_DAYS`` days, every wallet of the customer);
- ``parameters`` is the rule's JSON as stored on ``MonitoringRule`` (amounts are decimal
  strings in major units per currency, so officers can read and edit them).

A finding is explainable: a summary an officer can read and the numbers and entries the
rule looked at. No ORM here: the same functions run after each posting, in the daily
batch, and in the tests; the result depends only on the inputs, so running a rule twice
for the same entry finds the same thing.

Amounts are compared in minor units (integers); the currency's exponent comes from
``blockscore.money``. A currency without a configured threshold is not checked by the
amount rules.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from blockscore import money
from blockscore.exceptions import ValidationFailed

HISTORY_DAYS = 31  # the longest look-back any rule needs (velocity's 30-day baseline + its window)


@dataclass(frozen=True)
class Movement:
    """One posting on a customer wallet: ``amount_minor`` > 0 is money in, < 0 money out."""

    entry_id: int
    kind: str
    currency: str
    amount_minor: int
    at: datetime
    counterparty_countries: tuple[str, ...] = ()

    @property
    def incoming(self) -> bool:
        return self.amount_minor > 0


@dataclass(frozen=True)
class Finding:
    rule: str
    summary: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _show(minor: int, currency: str) -> str:
    return f"{money.format_amount(money.from_minor_units(minor, currency), currency)} {currency}"


def _minor(value, currency: str) -> int | None:
    if value in (None, ""):
        return None
    return money.to_minor_units(Decimal(str(value)), currency)


def _threshold(parameters: dict, key: str, currency: str) -> int | None:
    return _minor((parameters.get(key) or {}).get(currency), currency)


def _window(history: list[Movement], trigger: Movement, *, hours: float = 0, minutes: float = 0) -> list[Movement]:
    start = trigger.at - timedelta(hours=hours, minutes=minutes)
    return [m for m in history if start <= m.at <= trigger.at]


# Rules -------------------------------------------------------------------------------


def large_transaction(trigger: Movement, history: list[Movement], parameters: dict) -> list[Finding]:
    """One movement (in or out) at or above the currency's threshold."""
    threshold = _threshold(parameters, "thresholds", trigger.currency)
    amount = abs(trigger.amount_minor)
    if threshold is None or amount < threshold:
        return []
    direction = "in" if trigger.incoming else "out"
    return [
        Finding(
            "large_transaction",
            f"{_show(amount, trigger.currency)} {direction} in one {trigger.kind}, at or above the "
            f"{_show(threshold, trigger.currency)} threshold",
            {
                "entry": trigger.entry_id,
                "currency": trigger.currency,
                "amount": str(money.from_minor_units(amount, trigger.currency)),
                "threshold": str(money.from_minor_units(threshold, trigger.currency)),
                "direction": direction,
            },
        )
    ]


def structuring(trigger: Movement, history: list[Movement], parameters: dict) -> list[Finding]:
    """``min_count`` or more movements within ``window_hours``, each just under the threshold
    (within ``band_percent`` below it), the trigger being one of them."""
    threshold = _threshold(parameters, "thresholds", trigger.currency)
    if threshold is None:
        return []
    floor = threshold - threshold * int(parameters.get("band_percent", 10)) // 100

    def just_under(m: Movement) -> bool:
        return m.currency == trigger.currency and floor <= abs(m.amount_minor) < threshold

    if not just_under(trigger):
        return []
    hours = float(parameters.get("window_hours", 24))
    near = [m for m in _window(history, trigger, hours=hours) if just_under(m)]
    if len(near) < int(parameters.get("min_count", 3)):
        return []
    total = sum(abs(m.amount_minor) for m in near)
    return [
        Finding(
            "structuring",
            f"{len(near)} movements within {hours:g}h each just under the {_show(threshold, trigger.currency)} "
            f"threshold (between {_show(floor, trigger.currency)} and it), {_show(total, trigger.currency)} in all",
            {
                "currency": trigger.currency,
                "count": len(near),
                "threshold": str(money.from_minor_units(threshold, trigger.currency)),
                "band_floor": str(money.from_minor_units(floor, trigger.currency)),
                "total": str(money.from_minor_units(total, trigger.currency)),
                "window_hours": hours,
                "entries": sorted({m.entry_id for m in near}),
            },
        )
    ]


def velocity(trigger: Movement, history: list[Movement], parameters: dict) -> list[Finding]:
    """The count or amount of the last ``window_hours`` (in the trigger's currency) is more
    than ``multiplier`` times the customer's daily average over the ``baseline_days``
    before that window, and at least ``min_count`` movements or ``min_amount``.

    A customer with no history has an average of zero: then only the minimums decide."""
    hours = float(parameters.get("window_hours", 24))
    days = int(parameters.get("baseline_days", 30))
    multiplier = Decimal(str(parameters.get("multiplier", 5)))
    recent = [m for m in _window(history, trigger, hours=hours) if m.currency == trigger.currency]
    window_start = trigger.at - timedelta(hours=hours)
    baseline = [
        m
        for m in history
        if m.currency == trigger.currency and window_start - timedelta(days=days) <= m.at < window_start
    ]
    count = len(recent)
    amount = sum(abs(m.amount_minor) for m in recent)
    average_count = Decimal(len(baseline)) / days
    average_amount = Decimal(sum(abs(m.amount_minor) for m in baseline)) / days
    reasons = []
    min_count = int(parameters.get("min_count", 10))
    if count >= min_count and count > multiplier * average_count:
        reasons.append(
            f"{count} movements in {hours:g}h against a daily average of {average_count:.2f} over {days} days"
        )
    min_amount = _threshold(parameters, "min_amount", trigger.currency)
    if min_amount is not None and amount >= min_amount and amount > multiplier * average_amount:
        shown_average = _show(int(average_amount), trigger.currency)
        reasons.append(
            f"{_show(amount, trigger.currency)} moved in {hours:g}h against a daily average of {shown_average}"
        )
    if not reasons:
        return []
    return [
        Finding(
            "velocity",
            "; ".join(reasons) + f" (more than {multiplier}x the norm)",
            {
                "currency": trigger.currency,
                "window_hours": hours,
                "count": count,
                "amount": str(money.from_minor_units(amount, trigger.currency)),
                "baseline_days": days,
                "average_daily_count": f"{average_count:.4f}",
                "average_daily_amount": str(money.from_minor_units(int(average_amount), trigger.currency)),
                "multiplier": str(multiplier),
                "entries": sorted({m.entry_id for m in recent}),
            },
        )
    ]


def rapid_movement(trigger: Movement, history: list[Movement], parameters: dict) -> list[Finding]:
    """Money going out when ``ratio_percent`` or more of what came in during the last
    ``window_minutes`` has gone out again in that window (incoming at least ``min_amount``)."""
    if trigger.incoming:
        return []
    minutes = float(parameters.get("window_minutes", 60))
    window = [m for m in _window(history, trigger, minutes=minutes) if m.currency == trigger.currency]
    incoming = [m for m in window if m.incoming]
    if not incoming:
        return []
    first_in = min(m.at for m in incoming)
    total_in = sum(m.amount_minor for m in incoming)
    outgoing = [m for m in window if not m.incoming and m.at >= first_in]
    total_out = -sum(m.amount_minor for m in outgoing)
    min_amount = _threshold(parameters, "min_amount", trigger.currency) or 0
    ratio = int(parameters.get("ratio_percent", 90))
    if total_in < max(min_amount, 1) or total_out * 100 < total_in * ratio:
        return []
    return [
        Finding(
            "rapid_movement",
            f"{_show(total_in, trigger.currency)} came in and {_show(total_out, trigger.currency)} "
            f"({total_out * 100 // total_in}%) went out again within {minutes:g} minutes",
            {
                "currency": trigger.currency,
                "window_minutes": minutes,
                "in": str(money.from_minor_units(total_in, trigger.currency)),
                "out": str(money.from_minor_units(total_out, trigger.currency)),
                "ratio_percent": ratio,
                "entries_in": sorted({m.entry_id for m in incoming}),
                "entries_out": sorted({m.entry_id for m in outgoing}),
            },
        )
    ]


def high_risk_country(trigger: Movement, history: list[Movement], parameters: dict) -> list[Finding]:
    """The counterparty (the other customer of a transfer or payment) is tied to a listed
    country: their residence or nationality (KYC) or their profile country."""
    listed = {code.upper() for code in parameters.get("countries", [])}
    hit = sorted(listed & set(trigger.counterparty_countries))
    if not hit:
        return []
    direction = "from" if trigger.incoming else "to"
    return [
        Finding(
            "high_risk_country",
            f"{_show(abs(trigger.amount_minor), trigger.currency)} {direction} a counterparty tied to "
            f"{', '.join(hit)} (listed as high risk)",
            {
                "entry": trigger.entry_id,
                "currency": trigger.currency,
                "amount": str(money.from_minor_units(abs(trigger.amount_minor), trigger.currency)),
                "countries": hit,
                "counterparty_countries": sorted(trigger.counterparty_countries),
            },
        )
    ]


RULES: dict[str, Callable[[Movement, list[Movement], dict], list[Finding]]] = {
    "large_transaction": large_transaction,
    "structuring": structuring,
    "velocity": velocity,
    "rapid_movement": rapid_movement,
    "high_risk_country": high_risk_country,
}


def evaluate(code: str, triggers: list[Movement], history: list[Movement], parameters: dict) -> list[Finding]:
    """Every finding of one rule over the customer's side of an entry (deduplicated)."""
    rule = RULES[code]
    found: list[Finding] = []
    for trigger in triggers:
        for finding in rule(trigger, history, parameters):
            if finding not in found:
                found.append(finding)
    return found


# Parameters --------------------------------------------------------------------------

# Amount thresholds in major units, roughly 10,000 USD in each currency.
LARGE_THRESHOLDS = {
    "USD": "10000",
    "EUR": "10000",
    "GBP": "8000",
    "NGN": "15000000",
    "KES": "1300000",
    "GHS": "120000",
    "ZAR": "180000",
    "INR": "850000",
    "JPY": "1500000",
    "KWD": "3000",
    "BHD": "3750",
    "BTC": "0.25",
}
# Roughly 1,000 USD: the least that rapid movement looks at.
MINIMUM_AMOUNTS = {
    "USD": "1000",
    "EUR": "1000",
    "GBP": "800",
    "NGN": "1500000",
    "KES": "130000",
    "GHS": "12000",
    "ZAR": "18000",
    "INR": "85000",
    "JPY": "150000",
    "KWD": "300",
    "BHD": "375",
    "BTC": "0.025",
}

# Roughly 5,000 USD in 24h: the least that velocity looks at (a new customer has no norm,
# so this minimum alone decides for them).
VELOCITY_MINIMUMS = {currency: str(Decimal(amount) * 5) for currency, amount in MINIMUM_AMOUNTS.items()}

DEFAULTS: dict[str, dict] = {
    "large_transaction": {"thresholds": LARGE_THRESHOLDS},
    "structuring": {"thresholds": LARGE_THRESHOLDS, "band_percent": 10, "min_count": 3, "window_hours": 24},
    "velocity": {
        "window_hours": 24,
        "baseline_days": 30,
        "multiplier": 5,
        "min_count": 10,
        "min_amount": VELOCITY_MINIMUMS,
    },
    "rapid_movement": {"window_minutes": 60, "ratio_percent": 90, "min_amount": MINIMUM_AMOUNTS},
    # FATF "high-risk jurisdictions subject to a call for action".
    "high_risk_country": {"countries": ["KP", "IR", "MM"]},
}

_AMOUNT_MAPS = {"thresholds", "min_amount"}
_NUMBERS = {
    "band_percent": (0, 100),
    "min_count": (1, 10_000),
    "window_hours": (1, 24 * 7),
    "baseline_days": (1, 365),
    "multiplier": (1, 1000),
    "window_minutes": (1, 24 * 60),
    "ratio_percent": (1, 100),
}


def validate_parameters(code: str, parameters) -> dict:
    """The parameters if they fit the rule, else ValueError naming what is wrong.

    Keys are those of the rule's defaults; amounts are positive decimal strings per known
    currency; numbers are within sensible bounds; countries are ISO alpha-2 codes."""
    if code not in DEFAULTS:
        raise ValueError(f"unknown rule {code!r}")
    if not isinstance(parameters, dict):
        raise ValueError("parameters must be a JSON object")
    expected = set(DEFAULTS[code])
    if set(parameters) != expected:
        raise ValueError(f"parameters of {code} are exactly: {', '.join(sorted(expected))}")
    clean: dict = {}
    for key, value in parameters.items():
        if key in _AMOUNT_MAPS:
            if not isinstance(value, dict) or not value:
                raise ValueError(f"{key} must map currency codes to amounts")
            amounts = {}
            for currency, amount in value.items():
                if currency not in money.CURRENCIES:
                    raise ValueError(f"{key}: unknown currency {currency!r}")
                try:
                    parsed = money.parse_amount(amount, currency)
                except (InvalidOperation, ValueError, ValidationFailed) as exc:
                    raise ValueError(f"{key}.{currency}: {amount!r} is not a positive amount") from exc
                amounts[currency] = str(parsed)
            clean[key] = amounts
        elif key == "countries":
            if not isinstance(value, list) or not all(
                isinstance(c, str) and len(c) == 2 and c.isalpha() for c in value
            ):
                raise ValueError("countries must be a list of ISO 3166-1 alpha-2 codes")
            clean[key] = sorted({c.upper() for c in value})
        else:
            low, high = _NUMBERS[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ValueError(f"{key} must be a number from {low} to {high}")
            clean[key] = value
    return clean

"""Money: Decimal amounts in a currency's ISO 4217 minor unit, never floats.

- ``CURRENCIES`` knows each supported currency's exponent (JPY 0, USD 2, KWD 3, BTC 8).
- ``parse_amount`` is the strict gate for amounts coming from outside (API strings):
  no floats, no NaN/Infinity, no exponent notation, no more places than the currency
  has, positive, and below ``MAX_MINOR_UNITS``.
- The ledger stores amounts as whole minor units (``to_minor_units``/``from_minor_units``).
- ``quantize`` rounds a computed amount (interest, FX) to the currency's minor unit with
  the one rounding mode of the platform, ``ROUNDING`` = ROUND_HALF_EVEN (banker's
  rounding: halves go to the even neighbour, so rounding errors do not drift one way
  over many postings).
- ``split`` divides an amount into parts (equal or weighted) that add up exactly,
  handing the leftover minor units out one by one (largest remainder first).
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation

from blockscore.exceptions import ValidationFailed

ROUNDING = ROUND_HALF_EVEN
# The largest amount one request may carry, in minor units (10^13 USD, 10^7 BTC): far above
# any real payment, and far below what a BIGINT balance can hold (9.2 * 10^18).
MAX_MINOR_UNITS = 10**15


@dataclass(frozen=True)
class Currency:
    code: str
    exponent: int
    name: str

    @property
    def minor_unit(self) -> Decimal:
        return Decimal(1).scaleb(-self.exponent)


CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("USD", 2, "US Dollar"),
        Currency("EUR", 2, "Euro"),
        Currency("GBP", 2, "Pound Sterling"),
        Currency("NGN", 2, "Naira"),
        Currency("KES", 2, "Kenyan Shilling"),
        Currency("GHS", 2, "Ghana Cedi"),
        Currency("ZAR", 2, "Rand"),
        Currency("INR", 2, "Indian Rupee"),
        Currency("JPY", 0, "Yen"),
        Currency("KWD", 3, "Kuwaiti Dinar"),
        Currency("BHD", 3, "Bahraini Dinar"),
        Currency("BTC", 8, "Bitcoin"),
    )
}


class UnknownCurrency(ValidationFailed):
    code = "unknown_currency"
    default_detail = "This currency is not supported."


class InvalidAmount(ValidationFailed):
    code = "invalid_amount"
    default_detail = "The amount is not valid."


class LossyAmount(ValueError):
    """A computed amount has more places than its currency: a caller bug, not user input."""


def currency(code: str) -> Currency:
    try:
        return CURRENCIES[code]
    except (KeyError, TypeError) as exc:
        raise UnknownCurrency(f"Unsupported currency: {code!r}.") from exc


def to_decimal(value) -> Decimal:
    """Decimal from a Decimal, int or str; floats are refused (they cannot hold cents)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"Money must not be a {type(value).__name__}: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise InvalidAmount(f"Not a number: {value!r}.") from exc
    else:
        raise TypeError(f"Money must be Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise InvalidAmount("The amount must be a finite number.")
    return result


def quantize(amount, code: str, rounding: str = ROUNDING) -> Decimal:
    """Round a computed amount to the currency's minor unit."""
    return to_decimal(amount).quantize(currency(code).minor_unit, rounding=rounding)


def exact(amount, code: str) -> Decimal:
    """The amount at the currency's scale, refusing to round (LossyAmount if it would)."""
    value = to_decimal(amount)
    quantized = value.quantize(currency(code).minor_unit, rounding=ROUND_DOWN)
    if quantized != value:
        raise LossyAmount(f"{value} has more places than {code} allows")
    return quantized


def parse_amount(value, code: str, *, allow_zero: bool = False) -> Decimal:
    """Validate an amount given by a client: a string (or int) such as "12.50"."""
    cur = currency(code)
    if isinstance(value, (float, bool)) or not isinstance(value, (str, int, Decimal)):
        raise InvalidAmount('Send the amount as a string, e.g. "12.50".')
    text = str(value).strip()
    if not text or any(ch not in "0123456789.-" for ch in text) or text.count(".") > 1:
        raise InvalidAmount('Send the amount as a plain decimal string, e.g. "12.50".')
    amount = to_decimal(text)
    if amount.as_tuple().exponent < -cur.exponent:
        raise InvalidAmount(f"{cur.code} amounts have at most {cur.exponent} decimal places.")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount("The amount must be greater than zero.")
    if amount.scaleb(cur.exponent) >= MAX_MINOR_UNITS:
        raise InvalidAmount("The amount is too large.")
    return amount.quantize(cur.minor_unit)


def to_minor_units(amount, code: str) -> int:
    return int(exact(amount, code).scaleb(currency(code).exponent))


def from_minor_units(units: int, code: str) -> Decimal:
    return Decimal(int(units)).scaleb(-currency(code).exponent).quantize(currency(code).minor_unit)


def split(amount, code: str, parts: int | list) -> list[Decimal]:
    """Split ``amount`` into ``parts`` equal shares, or by a list of weights, exactly.

    The shares add up to ``amount`` to the minor unit: each gets its floor share and the
    left-over units go one each to the shares with the largest remainders (earliest first
    on ties), so no unit is created or lost.
    """
    units = to_minor_units(amount, code)
    weights = [Decimal(1)] * parts if isinstance(parts, int) else [to_decimal(w) for w in parts]
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("split needs at least one non-negative weight with a positive total")
    total = sum(weights)
    sign = -1 if units < 0 else 1
    magnitude = abs(units)
    exact_shares = [Decimal(magnitude) * w / total for w in weights]
    floors = [int(share) for share in exact_shares]
    leftover = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact_shares[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [from_minor_units(sign * share, code) for share in floors]


def format_amount(amount, code: str) -> str:
    """The API's string form: plain notation at the currency's scale ("0.00000001", not "1E-8")."""
    return format(quantize(amount, code), "f")

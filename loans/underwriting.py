"""Automatic underwriting of a loan application: the rule set, pure and versioned.

``underwrite(applicant, terms)`` judges one application against its product's terms and
returns a ``Decision``: approve, refer (a loan officer decides) or decline, the rule codes
that fired, the reasons a declined customer is told, the figures the rules looked at, and
a counter-offer. No database, no clock, no I/O: the application service loads the product
and the score, calls this and stores the decision with ``RULESET_VERSION``, so a decision
can be reproduced and explained later under the rules it was made with. Any change to a
rule or a threshold bumps ``RULESET_VERSION``.

The figures
    Monthly installment: the regular installment of the schedule ``loans.schedules``
    builds for the amount on the product's term, method, frequency and rate (the first
    installment: the last one settles the schedule's rounding and can differ by a few
    minor units). A weekly installment counts as ``weekly * 52 / 12`` a month. Rounded to
    the currency's minor unit with the platform's rounding (ROUND_HALF_EVEN).

    Disposable income: monthly income - monthly expenses - existing monthly debt.

    Debt-to-income (DTI): (existing monthly debt + monthly installment) / monthly income,
    in percent, rounded to 2 places (ROUND_HALF_EVEN). The rounded figure, the one printed
    on the decision, is the one the rule compares: 40.004 % counts as 40.00 %.

The rules, in order (codes are stable: never rename one, add a new one)

    ==  ==========================  ===========================================  ========
    #   Code                        Fires when                                   Outcome
    ==  ==========================  ===========================================  ========
    1   no_income                   monthly income is zero                       decline
    1   score_below_minimum         score < the product's minimum score          decline
    1   no_disposable_income        disposable income <= 0                       decline
    2   dti_above_maximum           max DTI < DTI <= max DTI + 10 points         refer
    2   dti_far_above_maximum       DTI > max DTI + 10 points                    decline
    3   installment_strains_budget  50 % < installment / disposable <= 100 %     refer
    3   installment_unaffordable    installment > 100 % of disposable income     decline
    4   score_near_minimum          minimum <= score <= minimum + 25 points      refer
    5   exposure_high               existing exposure + amount > 12 x income     refer
    ==  ==========================  ===========================================  ========

    "Max DTI" and "minimum score" are the product's (``LoanProduct.max_debt_to_income_percent``,
    ``LoanProduct.min_score``); the other thresholds are this module's constants. A figure
    exactly at a threshold is on the lenient side: DTI equal to the maximum passes, an
    installment of exactly half the disposable income passes, exposure of exactly 12
    months' income passes; a score exactly 25 points above the minimum is still referred.

Outcome
    Any decline code -> decline; else any refer code -> refer; else approve. Every rule
    is evaluated, so a decision lists all that fired, except where there is nothing to
    measure: with no income, the rules that divide by or scale with income (no disposable
    income, DTI, affordability, exposure) are skipped; with no disposable income the
    affordability rule is skipped (it would only repeat the knockout).

Adverse-action reasons (decline only; empty on approve and refer)
    When the decline is due to the score (``score_below_minimum`` fired), the score's own
    reason codes (``RC01`` ..., strongest first, as the credit scorecard gave them) come
    first; then the decline codes that fired, in rule order. Refer-level codes are not
    adverse-action reasons: they did not cause the decline.

Counter-offer (``recommended_amount``)
    Approve: the amount asked for. Decline: none. Refer: the largest amount, in whole
    minor units, from the product's minimum up to the amount asked for, whose installment
    passes the DTI and affordability rules outright (neither refers nor declines); none if
    even the product's minimum does not. The search is a bisection, which is exact because
    the regular installment never falls when the amount rises. A referral for the score
    margin or the exposure alone leaves the amount asked for as the recommendation: the
    search looks only at DTI and affordability, and the officer judges the rest.

Pricing
    No risk-based pricing in this version: ``recommended_rate_percent`` is the product's
    annual rate on approve and refer, and none on decline.

Input
    Money is ``Decimal`` (an ``int`` or a numeric string is taken too); a float is refused
    with ``TypeError``, a negative or non-finite amount with ``ValueError``. Every amount
    is quantized to the currency's minor unit before a rule looks at it. The requested
    amount must lie in the product's range and the score in the scorecard's (300-850):
    the application service checks both before it asks, so either is a caller bug here.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from blockscore import money
from credit.scoring.scorecard import MAX_SCORE, MIN_SCORE
from loans import schedules

RULESET_VERSION = "2026.11-1"

# Rule 2: how far above the product's maximum DTI an application is still referred, in
# percentage points; beyond that it is declined.
DTI_REFER_BAND_POINTS = Decimal(10)
# Rule 3: the share of disposable income the new installment may take and pass, and the
# share up to which it is referred; beyond that it is declined.
AFFORDABILITY_PASS_PERCENT = Decimal(50)
AFFORDABILITY_REFER_PERCENT = Decimal(100)
# Rule 4: a score this many points above the product's minimum, or fewer, is referred.
SCORE_MARGIN_POINTS = 25
# Rule 5: total borrowing (other loans' principal plus this amount) above this many
# months of income is referred.
EXPOSURE_INCOME_MONTHS = 12

APPROVE = "approve"
REFER = "refer"
DECLINE = "decline"

NO_INCOME = "no_income"
SCORE_BELOW_MINIMUM = "score_below_minimum"
NO_DISPOSABLE_INCOME = "no_disposable_income"
DTI_ABOVE_MAXIMUM = "dti_above_maximum"
DTI_FAR_ABOVE_MAXIMUM = "dti_far_above_maximum"
INSTALLMENT_STRAINS_BUDGET = "installment_strains_budget"
INSTALLMENT_UNAFFORDABLE = "installment_unaffordable"
SCORE_NEAR_MINIMUM = "score_near_minimum"
EXPOSURE_HIGH = "exposure_high"

# Every rule code in rule order, with the outcome it forces.
RULES: dict[str, str] = {
    NO_INCOME: DECLINE,
    SCORE_BELOW_MINIMUM: DECLINE,
    NO_DISPOSABLE_INCOME: DECLINE,
    DTI_ABOVE_MAXIMUM: REFER,
    DTI_FAR_ABOVE_MAXIMUM: DECLINE,
    INSTALLMENT_STRAINS_BUDGET: REFER,
    INSTALLMENT_UNAFFORDABLE: DECLINE,
    SCORE_NEAR_MINIMUM: REFER,
    EXPOSURE_HIGH: REFER,
}

_PERCENT_PLACES = Decimal("0.01")
# The installments' amounts do not depend on the start date (only their due dates do);
# a fixed one keeps the rules free of the clock.
_SCHEDULE_START = date(2026, 1, 1)
_WEEKS_PER_YEAR = 52
_MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Applicant:
    score: int  # the current credit score
    score_reasons: tuple[str, ...]  # the score's adverse reason codes, strongest first (from credit)
    monthly_income: Decimal  # in the product's currency
    monthly_expenses: Decimal  # housing, living costs, excluding debt payments
    existing_monthly_debt: Decimal  # installments of the applicant's other loans, per month
    existing_exposure: Decimal  # outstanding principal of the applicant's other loans

    def __post_init__(self):
        _check_int(self.score, "score")
        if not MIN_SCORE <= self.score <= MAX_SCORE:
            raise ValueError(f"The score must be between {MIN_SCORE} and {MAX_SCORE}, not {self.score}.")
        if isinstance(self.score_reasons, str) or not isinstance(self.score_reasons, (tuple, list)):
            raise TypeError(f"score_reasons must be a tuple of reason codes, not {self.score_reasons!r}.")
        if not all(isinstance(code, str) and code for code in self.score_reasons):
            raise ValueError(f"score_reasons must be non-empty strings: {self.score_reasons!r}.")
        object.__setattr__(self, "score_reasons", tuple(self.score_reasons))
        for name in ("monthly_income", "monthly_expenses", "existing_monthly_debt", "existing_exposure"):
            object.__setattr__(self, name, _money(getattr(self, name), name))


@dataclass(frozen=True)
class Terms:
    """The product's terms and what is asked for, money quantized to the currency."""

    currency: str
    amount: Decimal
    term: int
    frequency: str  # "monthly" | "weekly"
    interest_method: str  # "declining" | "flat"
    annual_rate_percent: Decimal
    min_amount: Decimal
    max_amount: Decimal
    min_score: int
    max_debt_to_income_percent: Decimal

    def __post_init__(self):
        if not isinstance(self.currency, str) or self.currency not in money.CURRENCIES:
            raise ValueError(f"Unsupported currency {self.currency!r}.")
        for name in ("amount", "min_amount", "max_amount"):
            object.__setattr__(self, name, money.quantize(_money(getattr(self, name), name), self.currency))
        if self.min_amount <= 0:
            raise ValueError(f"The product's minimum amount must be positive, not {self.min_amount}.")
        if not self.min_amount <= self.amount <= self.max_amount:
            raise ValueError(f"The amount {self.amount} is outside the product's {self.min_amount}-{self.max_amount}.")
        _check_int(self.term, "term")
        if self.term < 1:
            raise ValueError(f"The term must be at least one installment, not {self.term}.")
        if self.frequency not in schedules.PERIODS_PER_YEAR:
            raise ValueError(f"Unknown frequency {self.frequency!r}.")
        if self.interest_method not in schedules.METHODS:
            raise ValueError(f"Unknown interest method {self.interest_method!r}.")
        rate = _decimal(self.annual_rate_percent, "annual_rate_percent")
        if not 0 <= rate <= schedules.MAX_ANNUAL_RATE * 100:
            raise ValueError(f"The annual rate must be 0-{schedules.MAX_ANNUAL_RATE * 100} %, not {rate}.")
        object.__setattr__(self, "annual_rate_percent", rate)
        _check_int(self.min_score, "min_score")
        if self.min_score < 0:
            raise ValueError(f"The minimum score must not be negative, not {self.min_score}.")
        max_dti = _decimal(self.max_debt_to_income_percent, "max_debt_to_income_percent")
        if max_dti <= 0:
            raise ValueError(f"The maximum debt-to-income ratio must be positive, not {max_dti}.")
        object.__setattr__(self, "max_debt_to_income_percent", max_dti)


@dataclass(frozen=True)
class Decision:
    outcome: str  # "approve" | "refer" | "decline"
    reasons: tuple[str, ...]  # the rule codes that fired, in rule order
    adverse_action_reasons: tuple[str, ...]  # on decline: what the customer is told; empty otherwise
    debt_to_income_percent: Decimal | None  # 2 places; None only when there is no income to divide by
    monthly_installment: Decimal  # the new loan's installment per month, at the currency's minor unit
    recommended_amount: Decimal | None
    recommended_rate_percent: Decimal | None
    version: str


def underwrite(applicant: Applicant, terms: Terms) -> Decision:
    """Judge one application by the rules in this module's docstring."""
    code = terms.currency
    income = money.quantize(applicant.monthly_income, code)
    expenses = money.quantize(applicant.monthly_expenses, code)
    debt = money.quantize(applicant.existing_monthly_debt, code)
    exposure = money.quantize(applicant.existing_exposure, code)
    installment = monthly_installment(terms.amount, terms)

    fired: list[str] = []
    dti = None
    has_income = income > 0
    disposable = income - expenses - debt
    # Rule 1: knockouts.
    if not has_income:
        fired.append(NO_INCOME)
    if applicant.score < terms.min_score:
        fired.append(SCORE_BELOW_MINIMUM)
    if has_income:
        if disposable <= 0:
            fired.append(NO_DISPOSABLE_INCOME)
        # Rule 2: debt-to-income.
        dti = debt_to_income_percent(debt, installment, income)
        fired.extend(_dti_codes(dti, terms))
        # Rule 3: affordability.
        if disposable > 0:
            fired.extend(_affordability_codes(installment, disposable))
    # Rule 4: score margin.
    if terms.min_score <= applicant.score <= terms.min_score + SCORE_MARGIN_POINTS:
        fired.append(SCORE_NEAR_MINIMUM)
    # Rule 5: existing exposure.
    if has_income and exposure + terms.amount > EXPOSURE_INCOME_MONTHS * income:
        fired.append(EXPOSURE_HIGH)

    outcomes = {RULES[c] for c in fired}
    outcome = DECLINE if DECLINE in outcomes else REFER if REFER in outcomes else APPROVE
    adverse: tuple[str, ...] = ()
    recommended = None
    if outcome == DECLINE:
        from_score = applicant.score_reasons if SCORE_BELOW_MINIMUM in fired else ()
        adverse = (*from_score, *(c for c in fired if RULES[c] == DECLINE))
    elif outcome == REFER:
        recommended = _largest_passing_amount(terms, income=income, debt=debt, disposable=disposable)
    else:
        recommended = terms.amount
    return Decision(
        outcome=outcome,
        reasons=tuple(fired),
        adverse_action_reasons=adverse,
        debt_to_income_percent=dti,
        monthly_installment=installment,
        recommended_amount=recommended,
        recommended_rate_percent=None if outcome == DECLINE else terms.annual_rate_percent,
        version=RULESET_VERSION,
    )


def monthly_installment(amount: Decimal, terms: Terms) -> Decimal:
    """The regular installment of ``amount`` on ``terms``, per month, at the minor unit."""
    installments = schedules.schedule(
        amount=amount,
        currency=terms.currency,
        annual_rate=terms.annual_rate_percent / 100,
        term=terms.term,
        method=terms.interest_method,
        frequency=terms.frequency,
        start=_SCHEDULE_START,
    )
    return per_month(installments[0].payment, frequency=terms.frequency, currency=terms.currency)


def per_month(payment: Decimal, *, frequency: str, currency: str) -> Decimal:
    """A regular payment as a monthly figure: a weekly one counts ``* 52 / 12``."""
    if frequency == "weekly":
        with localcontext(prec=schedules.PRECISION):
            return money.quantize(payment * _WEEKS_PER_YEAR / _MONTHS_PER_YEAR, currency)
    return payment


def debt_to_income_percent(existing_monthly_debt: Decimal, installment: Decimal, income: Decimal) -> Decimal:
    """(existing debt + new installment) / income in percent, 2 places, ROUND_HALF_EVEN."""
    with localcontext(prec=schedules.PRECISION):
        ratio = (existing_monthly_debt + installment) * 100 / income
        return ratio.quantize(_PERCENT_PLACES, rounding=money.ROUNDING)


def _dti_codes(dti: Decimal, terms: Terms) -> list[str]:
    maximum = terms.max_debt_to_income_percent
    if dti <= maximum:
        return []
    if dti <= maximum + DTI_REFER_BAND_POINTS:
        return [DTI_ABOVE_MAXIMUM]
    return [DTI_FAR_ABOVE_MAXIMUM]


def _affordability_codes(installment: Decimal, disposable: Decimal) -> list[str]:
    # Multiplied out rather than divided, so the comparison is exact.
    with localcontext(prec=schedules.PRECISION):
        if installment * 100 <= disposable * AFFORDABILITY_PASS_PERCENT:
            return []
        if installment * 100 <= disposable * AFFORDABILITY_REFER_PERCENT:
            return [INSTALLMENT_STRAINS_BUDGET]
        return [INSTALLMENT_UNAFFORDABLE]


def _largest_passing_amount(terms: Terms, *, income: Decimal, debt: Decimal, disposable: Decimal) -> Decimal | None:
    """The counter-offer: bisection over whole minor units (see the module docstring).

    Exact because passing is monotone in the amount: the regular installment never falls
    as the amount rises (declining: the rounded annuity payment of amount * factor; flat:
    floor shares of the amount and of its interest), so neither do DTI and the share of
    disposable income it takes.
    """
    code = terms.currency

    def passes(units: int) -> bool:
        installment = monthly_installment(money.from_minor_units(units, code), terms)
        dti = debt_to_income_percent(debt, installment, income)
        return not _dti_codes(dti, terms) and not _affordability_codes(installment, disposable)

    low = money.to_minor_units(terms.min_amount, code)
    high = money.to_minor_units(terms.amount, code)
    if not passes(low):
        return None
    while low < high:  # passes(low) holds; every amount above high fails or is above the request
        middle = (low + high + 1) // 2
        if passes(middle):
            low = middle
        else:
            high = middle - 1
    return money.from_minor_units(low, code)


def _check_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number, not {value!r}.")


def _decimal(value, name: str) -> Decimal:
    """A finite Decimal from a Decimal, int or str; a float raises TypeError (as in money)."""
    try:
        return money.to_decimal(value)
    except money.InvalidAmount as exc:
        raise ValueError(f"{name} must be a finite number, not {value!r}.") from exc
    except TypeError as exc:
        raise TypeError(f"{name}: {exc}") from exc


def _money(value, name: str) -> Decimal:
    amount = _decimal(value, name)
    if amount < 0:
        raise ValueError(f"{name} must not be negative, not {amount}.")
    return amount

"""The underwriting rule set: each rule at its thresholds, the outcome, the counter-offer.

Pure: no database. The base case is a 0 % product, so the installment is exactly the
amount over the term (1200.00 over 12 months: 100.00 a month) and every threshold can be
hit to the cent.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from blockscore import money
from loans import schedules, underwriting
from loans.underwriting import Applicant, Terms, underwrite

D = Decimal
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None)
RANK = {"approve": 0, "refer": 1, "decline": 2}
BUDGET_CODES = {
    "dti_above_maximum",
    "dti_far_above_maximum",
    "installment_strains_budget",
    "installment_unaffordable",
}


def make_terms(**overrides) -> Terms:
    fields = {
        "currency": "USD",
        "amount": D("1200.00"),
        "term": 12,
        "frequency": "monthly",
        "interest_method": "declining",
        "annual_rate_percent": D("0"),
        "min_amount": D("100.00"),
        "max_amount": D("10000.00"),
        "min_score": 600,
        "max_debt_to_income_percent": D("40"),
    }
    fields.update(overrides)
    return Terms(**fields)


def make_applicant(**overrides) -> Applicant:
    # Installment 100.00, DTI (500 + 100) / 5000 = 12 %, disposable 3500.00, exposure
    # 1200 of a 60 000 limit, score 100 points above the minimum: approved.
    fields = {
        "score": 700,
        "score_reasons": ("RC03", "RC01"),
        "monthly_income": D("5000.00"),
        "monthly_expenses": D("1000.00"),
        "existing_monthly_debt": D("500.00"),
        "existing_exposure": D("0.00"),
    }
    fields.update(overrides)
    return Applicant(**fields)


def decide(terms=None, **applicant_fields):
    return underwrite(make_applicant(**applicant_fields), terms or make_terms())


# --- the base case and what every decision carries ---------------------------------------


def test_clean_application_is_approved_for_the_amount_at_the_product_rate():
    terms = make_terms(annual_rate_percent=D("24.000"))
    decision = underwrite(make_applicant(), terms)

    assert decision.outcome == "approve"
    assert decision.reasons == ()
    assert decision.adverse_action_reasons == ()
    assert decision.recommended_amount == D("1200.00")
    assert decision.recommended_rate_percent == D("24.000")
    # 1200 at 2 % a month over 12 months: the annuity payment 113.47.
    assert decision.monthly_installment == D("113.47")
    assert decision.debt_to_income_percent == D("12.27")  # 613.47 / 5000


def test_zero_rate_installment_and_dti_are_reported():
    decision = decide()

    assert decision.monthly_installment == D("100.00")
    assert decision.debt_to_income_percent == D("12.00")


@pytest.mark.parametrize(
    "applicant_fields",
    [{}, {"score": 610}, {"score": 500}],
    ids=["approve", "refer", "decline"],
)
def test_every_decision_stores_the_ruleset_version(applicant_fields):
    decision = decide(**applicant_fields)

    assert underwriting.RULESET_VERSION == "2026.11-1"
    assert decision.version == "2026.11-1"


# --- rule 1: knockouts ---------------------------------------------------------------------


def test_no_income_declines_and_skips_the_income_based_rules():
    decision = decide(monthly_income=D("0"))

    assert decision.outcome == "decline"
    assert decision.reasons == ("no_income",)
    assert decision.adverse_action_reasons == ("no_income",)
    assert decision.debt_to_income_percent is None
    assert decision.recommended_amount is None
    assert decision.recommended_rate_percent is None


def test_one_minor_unit_of_income_is_income():
    decision = decide(monthly_income=D("0.01"), monthly_expenses=D("0"), existing_monthly_debt=D("0"))

    assert decision.reasons == ("dti_far_above_maximum", "installment_unaffordable", "exposure_high")
    assert decision.debt_to_income_percent == D("1000000.00")


@pytest.mark.parametrize(
    ("income", "no_income"),
    [(D("0.004"), True), (D("0.005"), True), (D("0.006"), False), (D("0.015"), False)],
)
def test_income_is_quantized_to_the_currency_with_half_even_before_the_rules(income, no_income):
    decision = decide(monthly_income=income, monthly_expenses=D("0"), existing_monthly_debt=D("0"))

    assert ("no_income" in decision.reasons) is no_income


@pytest.mark.parametrize(
    ("score", "outcome", "reasons"),
    [
        (599, "decline", ("score_below_minimum",)),
        (600, "refer", ("score_near_minimum",)),
        (601, "refer", ("score_near_minimum",)),
    ],
)
def test_score_below_the_product_minimum_declines(score, outcome, reasons):
    decision = decide(score=score)

    assert decision.outcome == outcome
    assert decision.reasons == reasons


@pytest.mark.parametrize(
    ("expenses", "reasons", "outcome"),
    [
        (D("4500.01"), ("no_disposable_income",), "decline"),  # disposable -0.01
        (D("4500.00"), ("no_disposable_income",), "decline"),  # disposable 0
        (D("4499.99"), ("installment_unaffordable",), "decline"),  # disposable 0.01: the rule lets it through
    ],
)
def test_no_disposable_income_declines(expenses, reasons, outcome):
    decision = decide(monthly_expenses=expenses)  # income 5000, other debt 500

    assert decision.reasons == reasons
    assert decision.outcome == outcome
    assert decision.debt_to_income_percent == D("12.00")  # DTI is still measured and reported


# --- rule 2: debt-to-income ----------------------------------------------------------------
# Income 5000, no expenses, installment 100: DTI = (debt + 100) / 50.


@pytest.mark.parametrize(
    ("debt", "dti", "outcome", "reasons"),
    [
        (D("1899.50"), D("39.99"), "approve", ()),
        (D("1900.00"), D("40.00"), "approve", ()),
        (D("1900.50"), D("40.01"), "refer", ("dti_above_maximum",)),
        (D("2399.50"), D("49.99"), "refer", ("dti_above_maximum",)),
        (D("2400.00"), D("50.00"), "refer", ("dti_above_maximum",)),
        (D("2400.50"), D("50.01"), "decline", ("dti_far_above_maximum",)),
    ],
)
def test_dti_passes_up_to_the_maximum_refers_ten_points_above_and_declines_beyond(debt, dti, outcome, reasons):
    decision = decide(monthly_expenses=D("0"), existing_monthly_debt=debt)

    assert decision.debt_to_income_percent == dti
    assert decision.outcome == outcome
    assert decision.reasons == reasons


@pytest.mark.parametrize(
    ("debt", "dti", "outcome"),
    [
        (D("1900.02"), D("40.00"), "approve"),  # 40.0004 %
        (D("1900.25"), D("40.00"), "approve"),  # 40.005 %: half to even
        (D("1900.26"), D("40.01"), "refer"),  # 40.0052 %
        (D("1900.75"), D("40.02"), "refer"),  # 40.015 %: half to even
    ],
)
def test_dti_is_rounded_half_even_to_two_places_and_the_rounded_figure_is_compared(debt, dti, outcome):
    decision = decide(monthly_expenses=D("0"), existing_monthly_debt=debt)

    assert decision.debt_to_income_percent == dti
    assert decision.outcome == outcome


# --- rule 3: affordability -----------------------------------------------------------------
# Income 5000, no other debt, installment 100: disposable = 5000 - expenses.


@pytest.mark.parametrize(
    ("expenses", "outcome", "reasons"),
    [
        (D("4799.99"), "approve", ()),  # 100 of 200.01
        (D("4800.00"), "approve", ()),  # 100 of 200.00: exactly half
        (D("4800.01"), "refer", ("installment_strains_budget",)),  # 100 of 199.99
        (D("4899.99"), "refer", ("installment_strains_budget",)),  # 100 of 100.01
        (D("4900.00"), "refer", ("installment_strains_budget",)),  # 100 of 100.00: all of it
        (D("4900.01"), "decline", ("installment_unaffordable",)),  # 100 of 99.99
    ],
)
def test_installment_passes_up_to_half_of_disposable_income_and_refers_up_to_all(expenses, outcome, reasons):
    decision = decide(monthly_expenses=expenses, existing_monthly_debt=D("0"))

    assert decision.outcome == outcome
    assert decision.reasons == reasons


# --- rule 4: score margin ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "outcome"),
    [(624, "refer"), (625, "refer"), (626, "approve")],
)
def test_score_within_25_points_of_the_minimum_refers(score, outcome):
    decision = decide(score=score)

    assert decision.outcome == outcome
    assert decision.reasons == (("score_near_minimum",) if outcome == "refer" else ())


# --- rule 5: existing exposure -------------------------------------------------------------
# Income 5000: the limit is 60 000 of borrowing, 1200 of it this loan.


@pytest.mark.parametrize(
    ("exposure", "outcome", "reasons"),
    [
        (D("58799.99"), "approve", ()),
        (D("58800.00"), "approve", ()),
        (D("58800.01"), "refer", ("exposure_high",)),
    ],
)
def test_exposure_above_twelve_months_income_refers(exposure, outcome, reasons):
    decision = decide(existing_exposure=exposure)

    assert decision.outcome == outcome
    assert decision.reasons == reasons


# --- outcome precedence and adverse-action reasons -----------------------------------------


def test_a_decline_rule_outweighs_refer_rules():
    decision = decide(score=599, existing_exposure=D("60000.00"))

    assert decision.outcome == "decline"
    assert decision.reasons == ("score_below_minimum", "exposure_high")
    assert decision.recommended_amount is None
    assert decision.recommended_rate_percent is None


def test_refer_rules_together_refer_and_are_listed_in_rule_order():
    decision = decide(
        score=610, monthly_expenses=D("0"), existing_monthly_debt=D("2000.00"), existing_exposure=D("60000.00")
    )

    assert decision.outcome == "refer"
    assert decision.reasons == ("dti_above_maximum", "score_near_minimum", "exposure_high")
    assert decision.adverse_action_reasons == ()


def test_score_decline_tells_the_score_reasons_first_then_the_decline_codes_in_rule_order():
    decision = decide(
        score=550,
        score_reasons=("RC05", "RC03", "RC01"),
        monthly_expenses=D("2000.00"),
        existing_monthly_debt=D("3000.00"),  # disposable 0, DTI 62 %
        existing_exposure=D("60000.00"),
    )

    assert decision.outcome == "decline"
    assert decision.reasons == (
        "score_below_minimum",
        "no_disposable_income",
        "dti_far_above_maximum",
        "exposure_high",
    )
    # exposure_high only refers: it is not a reason for the decline.
    assert decision.adverse_action_reasons == (
        "RC05",
        "RC03",
        "RC01",
        "score_below_minimum",
        "no_disposable_income",
        "dti_far_above_maximum",
    )


def test_decline_not_caused_by_the_score_leaves_the_score_reasons_out():
    decision = decide(score=610, monthly_expenses=D("0"), existing_monthly_debt=D("3000.00"))  # DTI 62 %

    assert decision.reasons == ("dti_far_above_maximum", "score_near_minimum")
    assert decision.adverse_action_reasons == ("dti_far_above_maximum",)


# --- the counter-offer ---------------------------------------------------------------------


def assert_largest_passing_amount(applicant: Applicant, terms: Terms, recommended: Decimal) -> None:
    """``recommended`` passes DTI and affordability outright; one minor unit more does not."""
    unit = money.currency(terms.currency).minor_unit
    assert recommended == recommended.quantize(unit)
    assert terms.min_amount <= recommended <= terms.amount
    at = underwrite(applicant, replace(terms, amount=recommended))
    assert not BUDGET_CODES & set(at.reasons)
    if recommended < terms.amount:
        above = underwrite(applicant, replace(terms, amount=recommended + unit))
        assert BUDGET_CODES & set(above.reasons)


def test_counter_offer_on_a_dti_referral_is_the_largest_amount_within_the_maximum_dti():
    terms = make_terms(amount=D("5000.00"), max_amount=D("20000.00"), annual_rate_percent=D("24"))
    applicant = make_applicant(
        monthly_income=D("3000.00"), monthly_expenses=D("500.00"), existing_monthly_debt=D("900.00")
    )

    decision = underwrite(applicant, terms)

    assert decision.outcome == "refer"
    assert decision.reasons == ("dti_above_maximum",)  # 472.80 installment: 45.76 %
    assert decision.recommended_rate_percent == D("24")
    # About 300.00 of installment room at 2 % a month: a little over 3170.
    assert D("3100") < decision.recommended_amount < D("3200")
    assert_largest_passing_amount(applicant, terms, decision.recommended_amount)


def test_counter_offer_on_a_weekly_affordability_referral_counts_weekly_installments_per_month():
    terms = make_terms(
        amount=D("3000.00"), term=52, frequency="weekly", interest_method="flat", annual_rate_percent=D("10")
    )
    applicant = make_applicant(monthly_income=D("3000.00"), monthly_expenses=D("2500.00"), existing_monthly_debt=D("0"))

    decision = underwrite(applicant, terms)

    assert decision.outcome == "refer"
    assert decision.reasons == ("installment_strains_budget",)  # 274.95 a month of 500 disposable
    # Flat: 300.00 interest; 57.69 principal and 5.76 interest a week (floor shares), 63.45 * 52 / 12.
    assert decision.monthly_installment == D("274.95")
    # Room for 250.00 a month, 57.69 a week, of which 1/1.1 principal: about 2727.
    assert D("2700") < decision.recommended_amount < D("2750")
    assert_largest_passing_amount(applicant, terms, decision.recommended_amount)


def test_counter_offer_in_a_currency_without_minor_units_is_in_whole_yen():
    terms = make_terms(
        currency="JPY",
        amount=D("500000"),
        min_amount=D("10000"),
        max_amount=D("1000000"),
        annual_rate_percent=D("15"),
    )
    applicant = make_applicant(
        monthly_income=D("200000"), monthly_expenses=D("50000"), existing_monthly_debt=D("40000")
    )

    decision = underwrite(applicant, terms)

    assert decision.reasons == ("dti_above_maximum",)
    assert decision.recommended_amount.as_tuple().exponent == 0
    assert decision.recommended_amount < D("500000")
    assert_largest_passing_amount(applicant, terms, decision.recommended_amount)


def test_no_counter_offer_when_even_the_product_minimum_is_over_the_dti_maximum():
    terms = make_terms(amount=D("500.00"), annual_rate_percent=D("24"))
    applicant = make_applicant(monthly_income=D("3000.00"), monthly_expenses=D("0"), existing_monthly_debt=D("1300.00"))

    decision = underwrite(applicant, terms)

    assert decision.outcome == "refer"
    assert decision.reasons == ("dti_above_maximum",)
    assert decision.recommended_amount is None
    assert decision.recommended_rate_percent == D("24")
    # The product minimum itself still refers on DTI (its installment 9.46 makes 43.65 %).
    at_minimum = underwrite(applicant, replace(terms, amount=terms.min_amount))
    assert at_minimum.reasons == ("dti_above_maximum",)


@pytest.mark.parametrize(
    "applicant_fields",
    [{"score": 610}, {"existing_exposure": D("60000.00")}],
    ids=["score_near_minimum", "exposure_high"],
)
def test_referral_not_about_the_budget_recommends_the_amount_asked_for(applicant_fields):
    decision = decide(**applicant_fields)

    assert decision.outcome == "refer"
    assert decision.recommended_amount == D("1200.00")


# --- weekly installments -------------------------------------------------------------------


def test_weekly_installment_is_converted_to_a_month_of_52_weeks_over_12():
    terms = make_terms(amount=D("520.00"), term=52, frequency="weekly")  # 0 %: 10.00 a week

    decision = underwrite(make_applicant(), terms)

    assert decision.monthly_installment == D("43.33")  # 10.00 * 52 / 12 = 43.333...
    assert decision.debt_to_income_percent == D("10.87")  # (500 + 43.33) / 5000


def test_weekly_declining_installment_is_the_schedules_payment_per_month():
    terms = make_terms(amount=D("2000.00"), term=26, frequency="weekly", annual_rate_percent=D("30"))
    weekly = schedules.schedule(
        amount=D("2000.00"),
        currency="USD",
        annual_rate=D("0.30"),
        term=26,
        method="declining",
        frequency="weekly",
        start=date(2026, 3, 1),
    )[0].payment

    decision = underwrite(make_applicant(), terms)

    assert decision.monthly_installment == money.quantize(weekly * 52 / 12, "USD")
    assert decision.monthly_installment > weekly * 4


@pytest.mark.parametrize(
    ("expenses", "outcome"),
    [(D("4913.34"), "approve"), (D("4913.35"), "refer")],  # disposable 86.66 / 86.65
)
def test_affordability_judges_the_monthly_figure_of_a_weekly_installment(expenses, outcome):
    terms = make_terms(amount=D("520.00"), term=52, frequency="weekly")  # 43.33 a month

    decision = underwrite(make_applicant(monthly_expenses=expenses, existing_monthly_debt=D("0")), terms)

    assert decision.outcome == outcome


# --- input ---------------------------------------------------------------------------------

APPLICANT_MONEY = ["monthly_income", "monthly_expenses", "existing_monthly_debt", "existing_exposure"]
TERMS_DECIMALS = ["amount", "min_amount", "max_amount", "annual_rate_percent", "max_debt_to_income_percent"]


@pytest.mark.parametrize("field", APPLICANT_MONEY)
def test_applicant_refuses_float_money(field):
    with pytest.raises(TypeError):
        make_applicant(**{field: 1000.0})


@pytest.mark.parametrize("field", APPLICANT_MONEY)
def test_applicant_refuses_negative_money(field):
    with pytest.raises(ValueError):
        make_applicant(**{field: D("-0.01")})


@pytest.mark.parametrize("field", TERMS_DECIMALS)
def test_terms_refuse_floats(field):
    with pytest.raises(TypeError):
        make_terms(**{field: 1200.0})


@pytest.mark.parametrize("field", ["amount", "min_amount", "annual_rate_percent"])
def test_terms_refuse_negative_figures(field):
    with pytest.raises(ValueError):
        make_terms(**{field: D("-1")})


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"monthly_income": D("NaN")}, ValueError),
        ({"score": 299}, ValueError),
        ({"score": 851}, ValueError),
        ({"score": True}, TypeError),
        ({"score": 700.0}, TypeError),
        ({"score_reasons": "RC01"}, TypeError),
        ({"score_reasons": ("RC01", "")}, ValueError),
    ],
)
def test_applicant_refuses_bad_input(overrides, error):
    with pytest.raises(error):
        make_applicant(**overrides)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"amount": D("99.99")}, ValueError),  # below the product minimum
        ({"amount": D("10000.01")}, ValueError),  # above the product maximum
        ({"max_debt_to_income_percent": D("0")}, ValueError),
        ({"currency": "XXX"}, ValueError),
        ({"frequency": "daily"}, ValueError),
        ({"interest_method": "balloon"}, ValueError),
        ({"term": 0}, ValueError),
        ({"term": 12.0}, TypeError),
        ({"min_score": -1}, ValueError),
    ],
)
def test_terms_refuse_bad_input(overrides, error):
    with pytest.raises(error):
        make_terms(**overrides)


def test_money_is_quantized_to_the_currency_and_ints_are_taken():
    terms = make_terms(amount=D("1200.005"), min_amount=100)
    applicant = make_applicant(monthly_income=5000, score_reasons=["RC03"])

    assert terms.amount == D("1200.00")  # half to even
    assert make_terms(amount=D("1200.015")).amount == D("1200.02")
    assert terms.min_amount == D("100.00")
    assert applicant.score_reasons == ("RC03",)
    assert underwrite(applicant, terms) == decide()


# --- properties ----------------------------------------------------------------------------


@st.composite
def applications(draw):
    """Applications spread over every outcome: the figures are drawn relative to income,
    the amount to a few months of it and the score around the product's minimum."""
    currency = draw(st.sampled_from(["USD", "JPY", "KWD"]))
    income = draw(st.integers(0, 10**7))

    def share_of_income(most_percent):
        return income * draw(st.integers(0, most_percent)) // 100

    min_units = draw(st.integers(1, 10**5))
    amount_units = draw(st.integers(min_units, max(min_units, income * draw(st.integers(1, 24)))))
    max_units = amount_units + draw(st.integers(0, 10**6))
    min_score = draw(st.integers(300, 800))
    terms = Terms(
        currency=currency,
        amount=money.from_minor_units(amount_units, currency),
        term=draw(st.integers(1, 36)),
        frequency=draw(st.sampled_from(["monthly", "weekly"])),
        interest_method=draw(st.sampled_from(["declining", "flat"])),
        annual_rate_percent=D(draw(st.integers(0, 600))) / 10,
        min_amount=money.from_minor_units(min_units, currency),
        max_amount=money.from_minor_units(max_units, currency),
        min_score=min_score,
        max_debt_to_income_percent=D(draw(st.integers(20, 60))),
    )
    applicant = Applicant(
        score=min(max(min_score + draw(st.integers(-30, 120)), 300), 850),
        score_reasons=tuple(draw(st.lists(st.sampled_from(["RC01", "RC02", "RC03", "RC05"]), max_size=4))),
        monthly_income=money.from_minor_units(income, currency),
        monthly_expenses=money.from_minor_units(share_of_income(100), currency),
        existing_monthly_debt=money.from_minor_units(share_of_income(60), currency),
        existing_exposure=money.from_minor_units(share_of_income(1500), currency),
    )
    return applicant, terms


@PROPERTY_SETTINGS
@given(applications(), st.integers(1, 10**7))
def test_more_income_never_worsens_the_outcome(application, extra_units):
    applicant, terms = application
    richer = replace(
        applicant, monthly_income=applicant.monthly_income + money.from_minor_units(extra_units, terms.currency)
    )

    assert RANK[underwrite(richer, terms).outcome] <= RANK[underwrite(applicant, terms).outcome]


@PROPERTY_SETTINGS
@given(applications(), st.integers(1, 550))
def test_a_higher_score_never_worsens_the_outcome(application, points):
    applicant, terms = application
    better = replace(applicant, score=min(applicant.score + points, 850))

    assert RANK[underwrite(better, terms).outcome] <= RANK[underwrite(applicant, terms).outcome]


@PROPERTY_SETTINGS
@given(applications(), st.data())
def test_asking_for_less_never_worsens_the_outcome(application, data):
    applicant, terms = application
    units = data.draw(
        st.integers(
            money.to_minor_units(terms.min_amount, terms.currency), money.to_minor_units(terms.amount, terms.currency)
        )
    )
    less = replace(terms, amount=money.from_minor_units(units, terms.currency))

    assert RANK[underwrite(applicant, less).outcome] <= RANK[underwrite(applicant, terms).outcome]


@PROPERTY_SETTINGS
@given(applications())
def test_the_decision_is_deterministic_and_consistent(application):
    applicant, terms = application
    decision = underwrite(applicant, terms)

    assert underwrite(replace(applicant), replace(terms)) == decision
    outcomes = [underwriting.RULES[code] for code in decision.reasons]
    assert decision.outcome == max(outcomes, key=RANK.__getitem__, default="approve")
    assert (decision.adverse_action_reasons != ()) == (decision.outcome == "decline")
    assert (decision.recommended_rate_percent is None) == (decision.outcome == "decline")
    if decision.outcome == "approve":
        assert decision.recommended_amount == terms.amount
    if decision.outcome == "decline":
        assert decision.recommended_amount is None
    assert decision.version == underwriting.RULESET_VERSION


@st.composite
def budget_referrals(draw):
    """Applications whose request lands in the DTI or the affordability referral band,
    so that the counter-offer search has work to do."""
    _, terms = draw(applications())
    currency = terms.currency
    installment = money.to_minor_units(underwriting.monthly_installment(terms.amount, terms), currency)
    debt = draw(st.integers(0, 10**6))
    if draw(st.booleans()):
        # DTI between the maximum and 10 points above; no expenses, so the budget has room.
        target = terms.max_debt_to_income_percent + D(draw(st.integers(1, 1000))) / 100
        income = int((debt + installment) * 100 / target) + 1
        expenses = 0
    else:
        # The installment takes 50-100 % of disposable income; income high enough for DTI.
        share = D(draw(st.integers(5001, 10000))) / 100
        disposable = int(installment * 100 / share) + 1
        income = max(disposable + debt, int((debt + installment) * 100 / terms.max_debt_to_income_percent) + 1)
        expenses = income - debt - disposable
    applicant = Applicant(
        score=min(terms.min_score + 26 + draw(st.integers(0, 50)), 850),
        score_reasons=(),
        monthly_income=money.from_minor_units(income, currency),
        monthly_expenses=money.from_minor_units(expenses, currency),
        existing_monthly_debt=money.from_minor_units(debt, currency),
        existing_exposure=D(0),
    )
    return applicant, terms


@settings(PROPERTY_SETTINGS, max_examples=200)
@given(st.one_of(applications(), budget_referrals()))
def test_a_counter_offer_is_the_largest_amount_that_passes_the_budget_rules(application):
    applicant, terms = application
    decision = underwrite(applicant, terms)
    if decision.recommended_amount is None:
        event(f"{decision.outcome}, no counter-offer")
    else:
        event(f"{decision.outcome}, {'the request' if decision.recommended_amount == terms.amount else 'less'}")
    if decision.outcome != "refer":
        return
    if decision.recommended_amount is None:
        at_minimum = underwrite(applicant, replace(terms, amount=terms.min_amount))
        assert BUDGET_CODES & set(at_minimum.reasons)
    else:
        assert_largest_passing_amount(applicant, terms, decision.recommended_amount)

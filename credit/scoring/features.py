"""The scorecard's inputs: the German Credit columns it may use, and the reason-code catalogue.

Pure data, no imports beyond the standard library: training writes these definitions into
the artifact, and the runtime scorer reads them back from there (an old artifact keeps the
definitions it was trained with).

Protected attributes (sex and marital status, foreign-worker status, age) are never model
inputs. They are kept in the training data only to measure fairness.

Category values are spelled exactly as in the CSV (the UCI Statlog data's textual
rendering); they are listed in the order of the UCI attribute codes (A11, A12, ...), which
is the natural order to show them in a questionnaire.
"""

TARGET = "creditability"
GOOD = "good"
BAD = "bad"  # bad = the borrower defaulted

PROTECTED = ("personal_status_and_sex", "foreign_worker", "age_in_years")

# name -> (kind, categories in display order | (minimum, maximum))
CANDIDATE_FEATURES: dict[str, dict] = {
    "status_of_existing_checking_account": {
        "kind": "categorical",
        "categories": [
            "... < 0 DM",
            "0 <= ... < 200 DM",
            "... >= 200 DM / salary assignments for at least 1 year",
            "no checking account",
        ],
    },
    "duration_in_month": {"kind": "numeric", "minimum": 1, "maximum": 120},
    "credit_history": {
        "kind": "categorical",
        "categories": [
            "no credits taken/ all credits paid back duly",
            "all credits at this bank paid back duly",
            "existing credits paid back duly till now",
            "delay in paying off in the past",
            "critical account/ other credits existing (not at this bank)",
        ],
    },
    "purpose": {
        "kind": "categorical",
        "categories": [
            "car (new)",
            "car (used)",
            "furniture/equipment",
            "radio/television",
            "domestic appliances",
            "repairs",
            "education",
            "retraining",
            "business",
            "others",
        ],
    },
    "credit_amount": {"kind": "numeric", "minimum": 1, "maximum": None},
    "savings_account_and_bonds": {
        "kind": "categorical",
        "categories": [
            "... < 100 DM",
            "100 <= ... < 500 DM",
            "500 <= ... < 1000 DM",
            "... >= 1000 DM",
            "unknown/ no savings account",
        ],
    },
    "present_employment_since": {
        "kind": "categorical",
        "categories": [
            "unemployed",
            "... < 1 year",
            "1 <= ... < 4 years",
            "4 <= ... < 7 years",
            "... >= 7 years",
        ],
    },
    "installment_rate_in_percentage_of_disposable_income": {"kind": "numeric", "minimum": 1, "maximum": 4},
    "other_debtors_or_guarantors": {"kind": "categorical", "categories": ["none", "co-applicant", "guarantor"]},
    "present_residence_since": {"kind": "numeric", "minimum": 1, "maximum": 4},
    "property": {
        "kind": "categorical",
        "categories": [
            "real estate",
            "building society savings agreement/ life insurance",
            "car or other, not in attribute Savings account/bonds",
            "unknown / no property",
        ],
    },
    "other_installment_plans": {"kind": "categorical", "categories": ["bank", "stores", "none"]},
    "housing": {"kind": "categorical", "categories": ["rent", "own", "for free"]},
    "number_of_existing_credits_at_this_bank": {"kind": "numeric", "minimum": 1, "maximum": 4},
    "job": {
        "kind": "categorical",
        "categories": [
            "unemployed/ unskilled - non-resident",
            "unskilled - resident",
            "skilled employee / official",
            "management/ self-employed/ highly qualified employee/ officer",
        ],
    },
    "number_of_people_being_liable_to_provide_maintenance_for": {"kind": "numeric", "minimum": 1, "maximum": 2},
    "telephone": {"kind": "categorical", "categories": ["none", "yes, registered under the customers name"]},
}

# Stable reason codes: a feature keeps its code across model versions, so an adverse-action
# notice and the customer's history read the same whichever model produced them.
REASONS: dict[str, dict[str, str]] = {
    "status_of_existing_checking_account": {
        "code": "RC01",
        "text": "The balance and history of your checking account",
        "hint": "Keep a positive balance in your checking account, or have your salary paid into it.",
    },
    "duration_in_month": {
        "code": "RC02",
        "text": "The length of the credit you asked for",
        "hint": "A shorter repayment period lowers the risk of the credit.",
    },
    "credit_history": {
        "code": "RC03",
        "text": "Your history of repaying credit",
        "hint": "Pay every installment on time; your history improves with each credit repaid duly.",
    },
    "purpose": {
        "code": "RC04",
        "text": "The purpose of the credit",
        "hint": "Some purposes carry more risk than others; this factor changes with what the credit is for.",
    },
    "credit_amount": {
        "code": "RC05",
        "text": "The amount of credit you asked for",
        "hint": "Asking for a smaller amount lowers the risk of the credit.",
    },
    "savings_account_and_bonds": {
        "code": "RC06",
        "text": "The level of your savings",
        "hint": "Building up savings improves your score.",
    },
    "present_employment_since": {
        "code": "RC07",
        "text": "How long you have been in your present employment",
        "hint": "This factor improves the longer you stay in steady employment.",
    },
    "installment_rate_in_percentage_of_disposable_income": {
        "code": "RC08",
        "text": "The share of your disposable income taken by the installment",
        "hint": "A lower installment relative to your income (a smaller amount or a longer term) helps.",
    },
    "other_debtors_or_guarantors": {
        "code": "RC09",
        "text": "No guarantor or co-applicant supports the credit",
        "hint": "A guarantor for the credit lowers its risk.",
    },
    "present_residence_since": {
        "code": "RC10",
        "text": "How long you have lived at your present address",
        "hint": "This factor improves the longer you live at the same address.",
    },
    "property": {
        "code": "RC11",
        "text": "The property you own",
        "hint": "Owning property such as real estate or a life insurance policy improves your score.",
    },
    "other_installment_plans": {
        "code": "RC12",
        "text": "Other installment plans you are paying",
        "hint": "Paying off other installment plans (with banks or stores) improves your score.",
    },
    "housing": {
        "code": "RC13",
        "text": "Your housing situation",
        "hint": "This factor reflects whether you rent, own or live for free.",
    },
    "number_of_existing_credits_at_this_bank": {
        "code": "RC14",
        "text": "The number of credits you already have with us",
        "hint": "Repaying existing credits before taking new ones improves your score.",
    },
    "job": {
        "code": "RC15",
        "text": "Your type of employment",
        "hint": "This factor reflects your occupation and qualification.",
    },
    "number_of_people_being_liable_to_provide_maintenance_for": {
        "code": "RC16",
        "text": "The number of people you support financially",
        "hint": "This factor reflects how many people depend on your income.",
    },
    "telephone": {
        "code": "RC17",
        "text": "No telephone registered in your name",
        "hint": "Registering a telephone line in your name improves your score.",
    },
}

assert set(REASONS) == set(CANDIDATE_FEATURES)
assert not set(PROTECTED) & set(CANDIDATE_FEATURES)

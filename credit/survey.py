"""The credit survey's questions, kept in code and written to the database by
``survey_questions_sync`` (run by a data migration and on deploy).

Each question feeds one model input, named as in the German Credit data the scorecard was
trained on (credit/data/SOURCE.md). A choice's ``value`` is that input's category exactly
as the model knows it; its ``label`` is what a customer reads. Money thresholds of the
original data are in Deutsche Mark: labels show them in euros (1 EUR = 1.95583 DM,
rounded to customer-friendly figures).

Inputs the platform knows better than the customer override the answer
(credit.features): the checking-account status from the customer's wallets, and,
once the loans app registers its providers, existing credits and repayment history.
The protected attributes of the data (sex and marital status, age, foreign worker) are
never asked: the model does not use them.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Question:
    key: str
    feature: str
    text: str
    answer_type: str  # "choice" or "integer"
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    help_text: str = ""
    min_value: int | None = None
    max_value: int | None = None


QUESTIONS: list[Question] = [
    Question(
        key="checking_account",
        feature="status_of_existing_checking_account",
        text="How much is usually in your current (checking) account?",
        help_text="If you hold money in BlockScore wallets, we use your wallets instead of this answer.",
        answer_type="choice",
        options=[
            ("no checking account", "I have no current account"),
            ("... < 0 DM", "It is usually overdrawn"),
            ("0 <= ... < 200 DM", "Between 0 and 100 EUR"),
            ("... >= 200 DM / salary assignments for at least 1 year", "100 EUR or more, or my salary is paid into it"),
        ],
    ),
    Question(
        key="loan_duration_months",
        feature="duration_in_month",
        text="Over how many months would you like to repay a loan?",
        help_text="A loan application replaces this with the application's term.",
        answer_type="integer",
        min_value=1,
        max_value=120,
    ),
    Question(
        key="credit_history",
        feature="credit_history",
        text="How have you handled credit so far?",
        help_text="Once you have loans with BlockScore, your repayment record here is used instead.",
        answer_type="choice",
        options=[
            ("no credits taken/ all credits paid back duly", "I never borrowed, or repaid everything on time"),
            ("all credits at this bank paid back duly", "I repaid every BlockScore loan on time"),
            ("existing credits paid back duly till now", "I have loans and pay them on time"),
            ("delay in paying off in the past", "I have paid late in the past"),
            (
                "critical account/ other credits existing (not at this bank)",
                "I have loans elsewhere or a difficult account",
            ),
        ],
    ),
    Question(
        key="loan_purpose",
        feature="purpose",
        text="What would you borrow for?",
        answer_type="choice",
        options=[
            ("car (new)", "A new car"),
            ("car (used)", "A used car"),
            ("furniture/equipment", "Furniture or equipment"),
            ("radio/television", "Electronics"),
            ("domestic appliances", "Household appliances"),
            ("repairs", "Repairs"),
            ("education", "Education"),
            ("retraining", "Retraining"),
            ("business", "My business"),
            ("others", "Something else"),
        ],
    ),
    Question(
        key="loan_amount",
        feature="credit_amount",
        text="How much would you like to borrow (in euros)?",
        help_text="A loan application replaces this with the amount applied for.",
        answer_type="integer",
        min_value=100,
        max_value=100_000,
    ),
    Question(
        key="savings",
        feature="savings_account_and_bonds",
        text="How much do you have in savings and investments?",
        answer_type="choice",
        options=[
            ("unknown/ no savings account", "No savings"),
            ("... < 100 DM", "Less than 50 EUR"),
            ("100 <= ... < 500 DM", "50 to 250 EUR"),
            ("500 <= ... < 1000 DM", "250 to 500 EUR"),
            ("... >= 1000 DM", "500 EUR or more"),
        ],
    ),
    Question(
        key="employment_since",
        feature="present_employment_since",
        text="How long have you been in your current job?",
        answer_type="choice",
        options=[
            ("unemployed", "I am not employed"),
            ("... < 1 year", "Less than a year"),
            ("1 <= ... < 4 years", "1 to 4 years"),
            ("4 <= ... < 7 years", "4 to 7 years"),
            ("... >= 7 years", "7 years or more"),
        ],
    ),
    Question(
        key="installment_share",
        feature="installment_rate_in_percentage_of_disposable_income",
        text="How much of your disposable income would the repayments take?",
        answer_type="choice",
        options=[("1", "Under 20 %"), ("2", "20 to 25 %"), ("3", "25 to 35 %"), ("4", "35 % or more")],
    ),
    Question(
        key="co_borrower",
        feature="other_debtors_or_guarantors",
        text="Would anyone share the loan with you or guarantee it?",
        answer_type="choice",
        options=[("none", "No"), ("co-applicant", "A co-applicant"), ("guarantor", "A guarantor")],
    ),
    Question(
        key="residence_since",
        feature="present_residence_since",
        text="How long have you lived at your current address?",
        answer_type="choice",
        options=[("1", "Less than a year"), ("2", "1 to 2 years"), ("3", "2 to 4 years"), ("4", "4 years or more")],
    ),
    Question(
        key="property",
        feature="property",
        text="What is the most valuable thing you own?",
        answer_type="choice",
        options=[
            ("real estate", "A home or land"),
            ("building society savings agreement/ life insurance", "A savings plan or life insurance"),
            ("car or other, not in attribute Savings account/bonds", "A car or other valuables"),
            ("unknown / no property", "None of these"),
        ],
    ),
    Question(
        key="other_installments",
        feature="other_installment_plans",
        text="Do you pay instalments on anything else?",
        answer_type="choice",
        options=[("none", "No"), ("bank", "Yes, to a bank"), ("stores", "Yes, to a shop")],
    ),
    Question(
        key="housing",
        feature="housing",
        text="Where do you live?",
        answer_type="choice",
        options=[("own", "In a home I own"), ("rent", "I rent"), ("for free", "Rent-free (family, employer)")],
    ),
    Question(
        key="existing_credits",
        feature="number_of_existing_credits_at_this_bank",
        text="How many loans do you have with us now, including this one?",
        help_text="Once you have loans with BlockScore, we count them instead.",
        answer_type="choice",
        options=[("1", "One"), ("2", "Two"), ("3", "Three"), ("4", "Four or more")],
    ),
    Question(
        key="job",
        feature="job",
        text="Which best describes your work?",
        answer_type="choice",
        options=[
            ("unemployed/ unskilled - non-resident", "Not working"),
            ("unskilled - resident", "Unskilled work"),
            ("skilled employee / official", "Skilled employee or civil servant"),
            ("management/ self-employed/ highly qualified employee/ officer", "Manager, self-employed or specialist"),
        ],
    ),
    Question(
        key="dependants",
        feature="number_of_people_being_liable_to_provide_maintenance_for",
        text="How many people depend on you financially?",
        answer_type="choice",
        options=[("1", "None or one"), ("2", "Two or more")],
    ),
    Question(
        key="telephone",
        feature="telephone",
        text="Is there a phone line registered in your name?",
        answer_type="choice",
        options=[("yes, registered under the customers name", "Yes"), ("none", "No")],
    ),
]

QUESTIONS_BY_KEY = {question.key: question for question in QUESTIONS}
FEATURE_TO_KEY = {question.feature: question.key for question in QUESTIONS}

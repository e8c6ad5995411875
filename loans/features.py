"""The credit score's inputs from the customers' BlockScore loans (credit.features'
provider contract: a list of user ids in, ``{user_id: {feature: value}}`` out, values in
the German Credit categories of credit.survey).

``credit_history``, the worst that applies first:

1. any loan defaulted or written off, any installment paid after its due date, or any
   open loan's installment past due and unpaid → "delay in paying off in the past";
2. otherwise, an open loan (paid on time so far) → "existing credits paid back duly till now";
3. otherwise (every loan paid off, all on time) → "all credits at this bank paid back duly".

A default or write-off is *not* mapped to "critical account/ other credits existing (not
at this bank)": that category is about other banks, which we cannot see, and in the
scorecard it is the best bin (the 1994 bank had already selected those borrowers, see
docs/credit.md), so it would reward a default. "Delay in paying off" is the worst
category that says what we know.

``number_of_existing_credits_at_this_bank`` is the open loans plus one, capped at "4":
the survey asks "How many loans do you have with us now, including this one?", so the
credit being scored counts (as in the German Credit data, where the lowest value is 1).
A customer whose loans are all closed has "1".

A customer without any disbursed loan gets nothing from here: their survey answers stand.
"""

from credit.features import register_feature_provider
from loans import selectors

PROVIDER_NAME = "loans.history"
CREDIT_HISTORY = "credit_history"
EXISTING_CREDITS = "number_of_existing_credits_at_this_bank"

DELAY_IN_THE_PAST = "delay in paying off in the past"
PAID_DULY_TILL_NOW = "existing credits paid back duly till now"
ALL_PAID_DULY_HERE = "all credits at this bank paid back duly"
MAX_EXISTING_CREDITS = 4


def credit_history(history: selectors.LoanHistory) -> str:
    if history.defaulted or history.late:
        return DELAY_IN_THE_PAST
    if history.open_loans:
        return PAID_DULY_TILL_NOW
    return ALL_PAID_DULY_HERE


def existing_credits(history: selectors.LoanHistory) -> str:
    return str(min(history.open_loans + 1, MAX_EXISTING_CREDITS))


def loan_history_features(user_ids: list[int]) -> dict[int, dict[str, str]]:
    """The provider: two queries for the whole batch."""
    return {
        user_id: {CREDIT_HISTORY: credit_history(history), EXISTING_CREDITS: existing_credits(history)}
        for user_id, history in selectors.loan_histories(user_ids).items()
    }


def register() -> None:
    """Called from ``LoansConfig.ready()``; registering again replaces the same entry."""
    register_feature_provider(PROVIDER_NAME, loan_history_features)

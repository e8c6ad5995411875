"""Model inputs from platform data, which override what a customer said about themselves.

Built in: the checking-account status, from the customer's wallets (credit is above
wallets in the layers, so it reads them through wallets' selectors). Apps above credit
register more providers in their ``AppConfig.ready()`` (the loans app: existing credits
and repayment history):

    register_feature_provider("loans.history", provider)

A provider takes a list of user ids and returns ``{user_id: {feature: value}}`` for the
customers it knows something about (batches keep the nightly rescoring fast); values are
in the model's terms (German Credit categories, see credit.survey).
"""

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

FeatureProvider = Callable[[list[int]], dict[int, dict[str, str | int]]]
_providers: dict[str, FeatureProvider] = {}

# The data's "200 DM" boundary, in euros (1 EUR = 1.95583 DM): 102.26 EUR.
CHECKING_THRESHOLD_EUR = Decimal("102.26")
CHECKING_FEATURE = "status_of_existing_checking_account"
CHECKING_LOW = "0 <= ... < 200 DM"
CHECKING_HIGH = "... >= 200 DM / salary assignments for at least 1 year"


def register_feature_provider(name: str, provider: FeatureProvider) -> None:
    _providers[name] = provider


def registered_providers() -> dict[str, FeatureProvider]:
    return dict(_providers)


def _eur_rates() -> dict[str, Decimal]:
    """Mid rates into EUR for every currency that has one, direct or inverse (one query)."""
    from wallets.selectors import fx_rates

    rates = {"EUR": Decimal(1)}
    for base, quote, rate in fx_rates():
        if quote == "EUR":
            rates[base] = rate
        elif base == "EUR" and quote not in rates and rate:
            rates[quote] = Decimal(1) / rate
    return rates


def wallet_checking_accounts(user_ids: list[int]) -> dict[int, dict[str, str]]:
    """The customers' wallets as a current account: their value in euros at the mid rate
    (wallets in a currency without a rate count nothing). A customer without a wallet
    gets nothing from here: they may bank elsewhere, so their answer stands."""
    from wallets.selectors import customer_balances

    rows = customer_balances(user_ids)
    if not rows:
        return {}
    rates = _eur_rates()
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for user_id, currency, balance in rows:
        totals[user_id] += balance * rates.get(currency, Decimal(0))
    return {
        user_id: {CHECKING_FEATURE: CHECKING_HIGH if total >= CHECKING_THRESHOLD_EUR else CHECKING_LOW}
        for user_id, total in totals.items()
    }


def platform_features_many(user_ids: list[int]) -> dict[int, dict[str, tuple[str | int, str]]]:
    """Every input the platform knows, per customer: feature → (value, source)."""
    found: dict[int, dict[str, tuple[str | int, str]]] = defaultdict(dict)
    for user_id, values in wallet_checking_accounts(user_ids).items():
        for name, value in values.items():
            found[user_id][name] = (value, "wallets")
    for source, provider in sorted(_providers.items()):
        for user_id, values in provider(user_ids).items():
            for name, value in values.items():
                found[user_id][name] = (value, source)
    return found


def platform_features(user) -> dict[str, tuple[str | int, str]]:
    return platform_features_many([user.pk]).get(user.pk, {})

"""Platform inputs override self-reported answers."""

from decimal import Decimal

import pytest

from credit import features
from credit.features import CHECKING_FEATURE, CHECKING_HIGH, CHECKING_LOW, platform_features, platform_features_many
from wallets.services.fx import fx_rate_set
from wallets.tests.factories import funded_wallet

pytestmark = pytest.mark.django_db


def test_no_wallet_says_nothing_about_the_checking_account(user):
    assert platform_features(user) == {}


def test_wallet_balances_in_euros_decide_the_checking_account(user, other_user, make_staff):
    funded_wallet("100.00", currency="EUR", owner=user)
    funded_wallet("90.00", currency="EUR", owner=other_user)
    funded_wallet("20.00", currency="USD", owner=other_user)
    fx_rate_set(base="USD", quote="EUR", rate=Decimal("0.9"), spread_bps=50, actor=make_staff("operations"))

    found = platform_features_many([user.pk, other_user.pk])

    assert found[user.pk][CHECKING_FEATURE] == (CHECKING_LOW, "wallets")  # 100.00 EUR < 102.26
    assert found[other_user.pk][CHECKING_FEATURE] == (CHECKING_HIGH, "wallets")  # 90 + 20 USD at 0.9 = 108


def test_registered_providers_win_over_wallets(user, monkeypatch):
    funded_wallet("500.00", currency="EUR", owner=user)
    monkeypatch.setattr(features, "_providers", {})
    features.register_feature_provider(
        "loans.history", lambda ids: {i: {"credit_history": "delay in paying off in the past"} for i in ids}
    )

    found = platform_features(user)

    assert found["credit_history"] == ("delay in paying off in the past", "loans.history")
    assert found[CHECKING_FEATURE] == (CHECKING_HIGH, "wallets")

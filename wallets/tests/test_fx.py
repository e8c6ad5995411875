import uuid
from decimal import Decimal

import pytest
import time_machine

from audit.models import AuditEvent
from conftest import client_for, console_for
from wallets.models import FxQuote, LedgerAccount
from wallets.selectors import ledger_problems
from wallets.services import fx
from wallets.tests.factories import funded_wallet

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def rates(make_staff):
    officer = make_staff("operations")
    fx.fx_rate_set(base="USD", quote="EUR", rate=D("0.9200000000"), spread_bps=50, actor=officer)
    fx.fx_rate_set(base="USD", quote="JPY", rate=D("151.3000000000"), spread_bps=100, actor=officer)
    return officer


def quote(client, sell, buy, amount):
    return client.post(
        "/api/v1/fx/quotes", {"sell_currency": sell, "buy_currency": buy, "sell_amount": amount}, format="json"
    )


def execute(client, quote_id, key=None):
    return client.post(
        "/api/v1/fx/exchanges", {"quote_id": quote_id}, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4())
    )


def test_rates_are_listed(user, rates):
    body = client_for(user).get("/api/v1/fx/rates").json()

    assert {(r["base"], r["quote"], r["rate"], r["spread_bps"]) for r in body} == {
        ("USD", "EUR", "0.9200000000", 50),
        ("USD", "JPY", "151.3000000000", 100),
    }
    assert AuditEvent.objects.filter(action="fx.rate_set", actor=rates).count() == 2


def test_quote_applies_the_spread_and_rounds_down(user, rates):
    body = quote(client_for(user), "USD", "EUR", "100.00").json()

    # 0.92 * (1 - 0.005) = 0.9154; 100.00 USD -> 91.54 EUR
    assert (body["sell_amount"], body["buy_amount"], body["rate"]) == ("100.00", "91.54", "0.9154000000")
    odd = quote(client_for(user), "USD", "EUR", "0.07").json()
    assert odd["buy_amount"] == "0.06"  # 0.064078 rounds down


def test_inverse_rate_is_used_for_the_other_direction(user, rates):
    body = quote(client_for(user), "JPY", "USD", "10000").json()

    # 1 / 151.3 = 0.0066093853 (10 places); less 1% spread -> 0.0065432914; 10000 JPY -> 65.43 USD
    assert body["buy_amount"] == "65.43"


def test_an_exchange_moves_both_currencies_through_the_fx_position(user, rates):
    usd = funded_wallet("100.00", owner=user)
    client = client_for(user)
    quote_id = quote(client, "USD", "EUR", "40.00").json()["id"]

    response = execute(client, quote_id)

    assert response.status_code == 201, response.content
    eur = LedgerAccount.objects.get(owner=user, currency="EUR")
    assert (LedgerAccount.objects.get(pk=usd.pk).balance, eur.balance) == (D("60.00"), D("36.61"))
    position_usd = LedgerAccount.objects.get(kind="fx_position", currency="USD")
    position_eur = LedgerAccount.objects.get(kind="fx_position", currency="EUR")
    assert (position_usd.balance, position_eur.balance) == (D("40.00"), D("-36.61"))
    assert ledger_problems() == []


def test_a_quote_executes_once(user, rates):
    funded_wallet("100.00", owner=user)
    client = client_for(user)
    quote_id = quote(client, "USD", "EUR", "10.00").json()["id"]
    execute(client, quote_id)

    again = execute(client, quote_id)

    assert again.status_code == 409 and again.json()["code"] == "fx_quote_used"


def test_an_expired_quote_is_refused_and_nothing_moves(user, rates):
    usd = funded_wallet("100.00", owner=user)
    client = client_for(user)
    with time_machine.travel("2026-11-22 10:00:00+00:00", tick=False):
        quote_id = quote(client_for(user), "USD", "EUR", "10.00").json()["id"]
    with time_machine.travel("2026-11-22 10:01:01+00:00", tick=False):
        client = client_for(user)
        response = execute(client, quote_id)

    assert response.status_code == 422 and response.json()["code"] == "fx_quote_expired"
    assert LedgerAccount.objects.get(pk=usd.pk).balance == D("100.00")


def test_insufficient_funds_and_missing_wallet(user, other_user, rates):
    funded_wallet("5.00", owner=user)
    client = client_for(user)

    poor = execute(client, quote(client, "USD", "EUR", "10.00").json()["id"])
    other = client_for(other_user)
    no_wallet = execute(other, quote(other, "USD", "EUR", "10.00").json()["id"])

    assert poor.json()["code"] == "insufficient_funds"
    assert no_wallet.json()["code"] == "wallet_not_found"


def test_someone_elses_quote_is_not_found(user, other_user, rates):
    funded_wallet("100.00", owner=other_user)
    quote_id = quote(client_for(user), "USD", "EUR", "10.00").json()["id"]

    assert execute(client_for(other_user), quote_id).status_code == 404


@pytest.mark.parametrize(
    "body, code",
    [
        ({"sell_currency": "USD", "buy_currency": "GBP", "sell_amount": "1"}, "fx_rate_unavailable"),
        ({"sell_currency": "USD", "buy_currency": "USD", "sell_amount": "1"}, "same_currency"),
        ({"sell_currency": "USD", "buy_currency": "EUR", "sell_amount": "1.001"}, "validation_error"),
        ({"sell_currency": "USD", "buy_currency": "EUR", "sell_amount": 1}, "validation_error"),
        ({"sell_currency": "JPY", "buy_currency": "USD", "sell_amount": "1"}, "invalid_amount"),
    ],
)
def test_bad_quotes(user, rates, body, code):
    response = client_for(user).post("/api/v1/fx/quotes", body, format="json")

    assert 400 <= response.status_code < 500 and response.json()["code"] == code
    assert not FxQuote.objects.exists()


def test_housekeeping_expires_old_quotes(user, rates):
    with time_machine.travel("2026-11-22 10:00:00+00:00", tick=False):
        quote(client_for(user), "USD", "EUR", "10.00")

    assert fx.fx_quotes_expire() == 1
    assert FxQuote.objects.get().status == "expired"


def test_operations_set_rates_in_the_console_and_it_is_audited(make_staff):
    officer = make_staff("operations")
    console = console_for(officer)

    response = console.post(
        "/admin/wallets/fxrate/add/", {"base": "GBP", "quote": "USD", "rate": "1.2700000000", "spread_bps": "40"}
    )

    assert response.status_code == 302, response.content[:500]
    assert fx.mid_rate("GBP", "USD") == (D("1.2700000000"), 40)
    assert AuditEvent.objects.filter(action="fx.rate_set", actor=officer).exists()

import csv
import io
from decimal import Decimal

import pytest
import time_machine

from audit.models import AuditEvent
from conftest import client_for
from wallets.models import LedgerAccount
from wallets.tests.factories import deposit, funded_wallet, move

pytestmark = pytest.mark.django_db


def test_open_a_wallet_and_list_it(auth_client, user):
    response = auth_client.post("/api/v1/wallets", {"currency": "KES"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["currency"] == "KES" and body["balance"] == "0.00" and body["status"] == "active"
    assert len(body["number"]) == 12
    listed = auth_client.get("/api/v1/wallets").json()["results"]
    assert [w["id"] for w in listed] == [body["id"]]
    assert AuditEvent.objects.filter(action="wallet.opened", actor=user).exists()


def test_a_second_wallet_in_the_same_currency_is_refused(auth_client):
    auth_client.post("/api/v1/wallets", {"currency": "USD"}, format="json")

    response = auth_client.post("/api/v1/wallets", {"currency": "USD"}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "wallet_exists"


@pytest.mark.parametrize("payload", [{"currency": "XYZ"}, {}, {"currency": "USD", "balance": "100"}])
def test_open_wallet_validation(auth_client, payload):
    response = auth_client.post("/api/v1/wallets", payload, format="json")

    assert response.status_code == 400
    assert not LedgerAccount.objects.filter(kind="customer_wallet").exists()


def test_balances_are_strings_at_the_currency_scale(user):
    funded_wallet("1500", "JPY", owner=user)
    funded_wallet("0.12345678", "BTC", owner=user)
    usd = funded_wallet("10.00", "USD", owner=user)
    LedgerAccount.objects.filter(pk=usd.pk).update(held_minor=250)

    wallets = {w["currency"]: w for w in client_for(user).get("/api/v1/wallets").json()["results"]}

    assert wallets["JPY"]["balance"] == "1500"
    assert wallets["BTC"]["balance"] == "0.12345678"
    assert (wallets["USD"]["balance"], wallets["USD"]["held"], wallets["USD"]["available"]) == ("10.00", "2.50", "7.50")


def test_another_customers_wallet_is_not_found(user, other_user):
    theirs = funded_wallet("10.00", owner=other_user)
    client = client_for(user)

    for path in ("", "/transactions", "/statement"):
        response = client.get(f"/api/v1/wallets/{theirs.public_id}{path}")
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json"


def test_wallet_endpoints_need_authentication(api_client, user):
    wallet = funded_wallet("10.00", owner=user)

    assert api_client.get("/api/v1/wallets").status_code == 401
    assert api_client.get(f"/api/v1/wallets/{wallet.public_id}/transactions").status_code == 401


def test_transactions_newest_first_with_filters(user, other_user):
    wallet = funded_wallet("100.00", owner=user)
    friend = funded_wallet("0", owner=other_user)
    move(wallet, friend, "30.00", memo="rent")
    move(wallet, friend, "5.00", memo="coffee")
    client = client_for(user)
    url = f"/api/v1/wallets/{wallet.public_id}/transactions"

    rows = client.get(url).json()["results"]
    assert [(r["kind"], r["amount"], r["balance_after"]) for r in rows] == [
        ("transfer", "-5.00", "65.00"),
        ("transfer", "-30.00", "70.00"),
        ("deposit", "100.00", "100.00"),
    ]
    assert [r["amount"] for r in client.get(url, {"direction": "in"}).json()["results"]] == ["100.00"]
    assert [r["memo"] for r in client.get(url, {"kind": "transfer", "min_amount": "10"}).json()["results"]] == ["rent"]
    assert [r["amount"] for r in client.get(url, {"max_amount": "10"}).json()["results"]] == ["-5.00"]
    assert client.get(url, {"min_amount": "-1"}).status_code == 400
    assert len(client.get("/api/v1/transactions").json()["results"]) == 3
    assert len(client_for(other_user).get("/api/v1/transactions").json()["results"]) == 2


def test_transactions_cursor_pages_and_csv(user):
    wallet = funded_wallet("1.00", owner=user)
    for _ in range(7):
        deposit(wallet, "1.00")
    client = client_for(user)
    url = f"/api/v1/wallets/{wallet.public_id}/transactions"

    first = client.get(url, {"page_size": 5}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 5 and len(second["results"]) == 3 and second["next"] is None
    export = client.get(url, {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) == 8 and rows[0]["amount"] == "1.00"


def test_monthly_statement(user, other_user):
    wallet = wallet_in_months(user, other_user)
    client = client_for(user)

    october = client.get(f"/api/v1/wallets/{wallet.public_id}/statement", {"month": "2026-10"}).json()
    november = client.get(f"/api/v1/wallets/{wallet.public_id}/statement", {"month": "2026-11"}).json()

    assert (october["opening_balance"], october["closing_balance"]) == ("0.00", "100.00")
    assert (november["opening_balance"], november["closing_balance"]) == ("100.00", "60.00")
    assert (november["total_in"], november["total_out"]) == ("10.00", "50.00")
    assert [t["amount"] for t in november["transactions"]] == ["-50.00", "10.00"]
    assert client.get(f"/api/v1/wallets/{wallet.public_id}/statement", {"month": "2026-13"}).status_code == 400


def wallet_in_months(user, other_user):
    with time_machine.travel("2026-10-15 12:00:00+00:00"):
        wallet = funded_wallet("100.00", owner=user)
        friend = funded_wallet("0", owner=other_user)
    with time_machine.travel("2026-11-02 12:00:00+00:00"):
        move(wallet, friend, Decimal("50.00"))
    with time_machine.travel("2026-11-20 12:00:00+00:00"):
        deposit(wallet, "10.00")
    return wallet


def test_a_malformed_cursor_is_a_400(user):
    response = client_for(user).get("/api/v1/transactions", {"cursor": "FX exchange"})

    assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"

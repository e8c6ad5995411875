import uuid
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from conftest import client_for, console_for
from wallets import exceptions
from wallets.models import Deposit, LedgerAccount, Withdrawal
from wallets.selectors import ledger_problems
from wallets.services import rails, wallet_set_status
from wallets.tests.factories import funded_wallet

pytestmark = pytest.mark.django_db
D = Decimal


def post(client, url, body):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))


def wallet_of(user, currency="USD"):
    return LedgerAccount.objects.get(owner=user, currency=currency)


def test_a_bank_deposit_is_credited_once_when_operations_confirm(user, make_staff):
    response = post(
        client_for(user), "/api/v1/deposits", {"rail": "bank_transfer", "currency": "EUR", "amount": "250.00"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["instructions"]["reference"].startswith("BS-")
    wallet = wallet_of(user, "EUR")
    assert wallet.balance == D("0.00")

    officer = make_staff("operations")
    deposit = Deposit.objects.get(public_id=body["id"])
    console_for(officer).post(
        "/admin/wallets/deposit/", {"action": "confirm_receipt", "_selected_action": [deposit.pk]}
    )
    console_for(officer).post(
        "/admin/wallets/deposit/", {"action": "confirm_receipt", "_selected_action": [deposit.pk]}
    )

    assert wallet_of(user, "EUR").balance == D("250.00")
    deposit.refresh_from_db()
    assert deposit.status == "completed" and deposit.decided_by == officer and deposit.entry is not None
    assert AuditEvent.objects.filter(action="deposit.confirmed", actor=officer).count() == 1
    assert ledger_problems() == []


def test_a_cancelled_deposit_cannot_be_confirmed(user, make_staff):
    deposit = rails.deposit_create(user=user, rail="bank_transfer", currency="USD", amount=D("5.00"))
    officer = make_staff("operations")
    rails.deposit_cancel(deposit=deposit, actor=officer)

    with pytest.raises(exceptions.InvalidTransition):
        rails.deposit_confirm(deposit=deposit, actor=officer)

    assert wallet_of(user).balance == D("0.00")


def test_a_bank_withdrawal_holds_then_debits_when_sent(user, make_staff):
    funded_wallet("100.00", owner=user)
    body = {
        "rail": "bank_transfer",
        "currency": "USD",
        "amount": "60.00",
        "beneficiary_name": "Ada Lovelace",
        "beneficiary_account": "GB33BUKB20201555555555",
    }

    response = post(client_for(user), "/api/v1/withdrawals", body)

    assert response.status_code == 201, response.content
    wallet = wallet_of(user)
    assert (wallet.balance, wallet.held, wallet.available) == (D("100.00"), D("60.00"), D("40.00"))
    second = post(client_for(user), "/api/v1/withdrawals", {**body, "amount": "40.01"})
    assert second.status_code == 422 and second.json()["code"] == "insufficient_funds"

    officer = make_staff("operations")
    withdrawal = Withdrawal.objects.get(public_id=response.json()["id"])
    console_for(officer).post(
        "/admin/wallets/withdrawal/", {"action": "mark_sent", "_selected_action": [withdrawal.pk]}
    )

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.held) == (D("40.00"), D("0.00"))
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "sent"
    assert ledger_problems() == []


def test_a_failed_payout_releases_the_hold(user, make_staff):
    wallet = funded_wallet("100.00", owner=user)
    withdrawal = rails.withdrawal_create(
        user=user,
        rail="bank_transfer",
        currency="USD",
        amount=D("70.00"),
        beneficiary_name="A",
        beneficiary_account="12345678",
    )

    rails.withdrawal_mark_failed(withdrawal=withdrawal, actor=make_staff("operations"), note="account closed")

    wallet.refresh_from_db()
    assert (wallet.balance, wallet.held) == (D("100.00"), D("0.00"))
    with pytest.raises(exceptions.InvalidTransition):
        rails.withdrawal_mark_sent(withdrawal=withdrawal, actor=None)


def test_a_payout_from_a_wallet_frozen_since_is_not_sent(user, make_staff):
    wallet = funded_wallet("100.00", owner=user)
    withdrawal = rails.withdrawal_create(
        user=user,
        rail="bank_transfer",
        currency="USD",
        amount=D("10.00"),
        beneficiary_name="A",
        beneficiary_account="12345678",
    )
    officer = make_staff("operations")
    wallet_set_status(account=wallet, status="frozen", actor=officer, reason="AML")

    with pytest.raises(exceptions.AccountNotActive):
        rails.withdrawal_mark_sent(withdrawal=withdrawal, actor=officer)

    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "pending"
    rails.withdrawal_mark_failed(withdrawal=withdrawal, actor=officer)
    wallet.refresh_from_db()
    assert wallet.held == D("0.00")


def test_the_pin_is_required_once_set_and_wrong_guesses_count(user, password):
    from wallets.services.pin import pin_set

    funded_wallet("100.00", owner=user)
    pin_set(user=user, pin="4826", current_password=password)
    client = client_for(user)
    body = {
        "rail": "bank_transfer",
        "currency": "USD",
        "amount": "1.00",
        "beneficiary_name": "A",
        "beneficiary_account": "12345678",
    }

    missing = post(client, "/api/v1/withdrawals", body)
    wrong = post(client, "/api/v1/withdrawals", {**body, "pin": "1357"})
    right = post(client, "/api/v1/withdrawals", {**body, "pin": "4826"})

    assert missing.json()["code"] == "pin_required"
    assert wrong.json()["code"] == "invalid_pin"
    assert right.status_code == 201
    assert Withdrawal.objects.count() == 1


def test_the_pin_locks_through_the_withdrawal_endpoint(user, password):
    from wallets.services.pin import pin_set

    funded_wallet("100.00", owner=user)
    pin_set(user=user, pin="4826", current_password=password)
    client = client_for(user)
    body = {
        "rail": "bank_transfer",
        "currency": "USD",
        "amount": "1.00",
        "beneficiary_name": "A",
        "beneficiary_account": "12345678",
        "pin": "1357",
    }

    codes = [post(client, "/api/v1/withdrawals", body).json()["code"] for _ in range(6)]

    assert codes[-1] == "pin_locked", codes
    assert post(client, "/api/v1/withdrawals", {**body, "pin": "4826"}).json()["code"] == "pin_locked"


def test_customers_and_auditors_cannot_confirm_deposits(user, make_staff):
    deposit = rails.deposit_create(user=user, rail="bank_transfer", currency="USD", amount=D("5.00"))

    console_for(make_staff("auditor")).post(
        "/admin/wallets/deposit/", {"action": "confirm_receipt", "_selected_action": [deposit.pk]}
    )

    assert Deposit.objects.get(pk=deposit.pk).status == "pending"

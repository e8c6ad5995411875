"""The Lightning rail end to end: deposits by invoice and payouts paying an invoice.

Tests marked with the ``lnbits`` fixture run against a real LNbits (FakeWallet): the
customer's side is LNbits' "payer" wallet, which pays BlockScore's invoices and bills
BlockScore for payouts. The others need no LNbits (a disabled rail, refusals, webhook
authentication) and run everywhere.
"""

import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from blockscore.testing import run_in_parallel
from compliance.tests.factories import kyc_approved
from conftest import client_for, console_for
from wallets.models import Deposit, JournalEntry, LedgerAccount, Withdrawal
from wallets.rails.lightning import webhook_secret_from_settings, webhook_token
from wallets.selectors import ledger_problems
from wallets.services import lightning, system_account
from wallets.services.ledger import hold_place
from wallets.services.pin import pin_set
from wallets.tests.factories import funded_wallet

pytestmark = pytest.mark.django_db
D = Decimal


def post(client, url, body, key=None):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def sats(wallet: LedgerAccount) -> tuple[int, int]:
    wallet.refresh_from_db()
    return wallet.balance_minor, wallet.held_minor


def clearing() -> LedgerAccount:
    return system_account(LedgerAccount.Kind.CLEARING, "BTC", rail="lightning")


def webhook_path(deposit: Deposit, token: str | None = None) -> str:
    token = token or webhook_token(deposit.reference, webhook_secret_from_settings())
    return f"/api/v1/webhooks/lightning/{deposit.reference}/{token}"


def deposit_lightning(client, amount="0.00010000", **extra):
    return post(client, "/api/v1/deposits", {"rail": "lightning", "currency": "BTC", "amount": amount, **extra})


def pay_lightning(client, invoice, **extra):
    return post(client, "/api/v1/withdrawals", {"rail": "lightning", "currency": "BTC", "invoice": invoice, **extra})


# --- without LNbits --------------------------------------------------------------------


def test_a_disabled_rail_answers_503_and_writes_nothing(user, settings):
    settings.LIGHTNING_LNBITS_URL = ""
    client = client_for(user)

    deposit = deposit_lightning(client)
    funded_wallet("0.01", currency="BTC", owner=user)
    payout = pay_lightning(client, "lnbc1anything")

    for response in (deposit, payout):
        assert response.status_code == 503, response.content
        assert response.json()["code"] == "lightning_disabled"
        assert "LIGHTNING_LNBITS_URL" in response.json()["detail"]
    assert not Deposit.objects.exists() and not Withdrawal.objects.exists()
    assert sats(LedgerAccount.objects.get(owner=user)) == (1_000_000, 0)


def test_lightning_moves_only_bitcoin(user):
    response = deposit_lightning(client_for(user), amount="10.00", currency="USD")

    assert response.status_code == 422 and response.json()["code"] == "currency_not_supported"
    assert not LedgerAccount.objects.filter(owner=user).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rail": "lightning", "currency": "BTC"}, "invoice"),
        ({"rail": "lightning", "currency": "BTC", "invoice": "lnbc1x", "beneficiary_name": "A"}, "beneficiary_name"),
        ({"rail": "bank_transfer", "currency": "USD", "amount": "1.00", "invoice": "lnbc1x"}, "beneficiary_name"),
        ({"rail": "lightning", "currency": "BTC", "invoice": "lnbc1x", "amount": "0.000000001"}, "amount"),
    ],
)
def test_payout_input_is_checked_per_rail(user, body, field):
    response = post(client_for(user), "/api/v1/withdrawals", body)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_webhook_with_a_wrong_token_or_reference_is_not_found(user, settings):
    deposit = Deposit.objects.create(
        wallet=funded_wallet("0", currency="BTC", owner=user),
        rail="lightning",
        currency="BTC",
        amount_minor=1000,
        payment_hash="ab" * 32,
        payment_request="lnbc10u1fake",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    client = APIClient()  # LNbits calls without credentials
    wrong_token = client.post(webhook_path(deposit, token="0" * 64))
    other_reference = client.post(
        f"/api/v1/webhooks/lightning/BS-NOPE/{webhook_token('BS-NOPE', webhook_secret_from_settings())}"
    )

    assert wrong_token.status_code == 404 and wrong_token.json()["code"] == "not_found"
    assert other_reference.status_code == 404
    deposit.refresh_from_db()
    assert deposit.status == "pending"


def test_operations_cannot_confirm_a_lightning_deposit_by_hand(user, make_staff):
    deposit = Deposit.objects.create(
        wallet=funded_wallet("0", currency="BTC", owner=user),
        rail="lightning",
        currency="BTC",
        amount_minor=1000,
        payment_hash="cd" * 32,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    officer = make_staff("operations")

    console_for(officer).post(
        "/admin/wallets/deposit/", {"action": "confirm_receipt", "_selected_action": [deposit.pk]}
    )

    deposit.refresh_from_db()
    assert deposit.status == "pending" and deposit.entry is None
    assert sats(deposit.wallet) == (0, 0)


def test_the_fee_reserve_is_a_share_with_a_minimum(settings):
    settings.LIGHTNING_FEE_RESERVE_PPM = 10_000
    settings.LIGHTNING_FEE_RESERVE_MIN_SAT = 2

    assert lightning.fee_reserve_sats(1) == 2
    assert lightning.fee_reserve_sats(100_000) == 1000
    assert lightning.fee_reserve_sats(100_001) == 1001  # rounded up: never short


# --- deposits against a real LNbits ----------------------------------------------------


def test_a_paid_invoice_credits_the_wallet_exactly_once(user, lightning_settings, payer_rail):
    client = client_for(user)
    response = deposit_lightning(client, amount="0.00012345")
    assert response.status_code == 201, response.content
    body = response.json()
    invoice = body["invoice"]
    assert body["status"] == "pending" and body["instructions"] is None
    assert invoice["payment_uri"] == "lightning:" + invoice["payment_request"]
    deposit = Deposit.objects.get(public_id=body["id"])
    wallet = deposit.wallet
    assert deposit.payment_hash == invoice["payment_hash"] and sats(wallet) == (0, 0)

    # Nothing is credited before the invoice is paid, whoever asks.
    assert APIClient().post(webhook_path(deposit)).json() == {"status": "pending"}
    assert lightning.reconcile()["deposits_credited"] == 0

    payment = payer_rail.pay(invoice["payment_request"])
    assert payment.succeeded

    first = APIClient().post(webhook_path(deposit))
    again = APIClient().post(webhook_path(deposit))
    counts = lightning.reconcile()

    assert first.status_code == 200 and first.json() == {"status": "completed"}
    assert again.json() == {"status": "completed"}
    assert counts["deposits_credited"] == 0  # already credited by the webhook
    assert sats(wallet) == (12345, 0)
    assert JournalEntry.objects.filter(kind="deposit", metadata__deposit=str(deposit.public_id)).count() == 1
    assert AuditEvent.objects.filter(action="deposit.credited", target_id=str(deposit.public_id)).count() == 1
    assert client.get(f"/api/v1/deposits/{deposit.public_id}").json()["status"] == "completed"
    assert ledger_problems() == []


def test_polling_credits_a_paid_deposit_without_the_webhook(user, lightning_settings, payer_rail):
    body = deposit_lightning(client_for(user), amount="0.00000777").json()
    payer_rail.pay(body["invoice"]["payment_request"])

    counts = lightning.reconcile()

    assert counts["deposits_credited"] == 1 and counts["errors"] == 0
    assert sats(LedgerAccount.objects.get(owner=user, currency="BTC")) == (777, 0)
    assert lightning.reconcile()["deposits_credited"] == 0


def test_an_unpaid_invoice_expires_and_is_still_credited_if_paid_late(user, lightning_settings, payer_rail):
    body = deposit_lightning(client_for(user), amount="0.00000500").json()
    deposit = Deposit.objects.get(public_id=body["id"])
    Deposit.objects.filter(pk=deposit.pk).update(expires_at=timezone.now() - lightning.DEPOSIT_EXPIRY_GRACE)

    assert lightning.reconcile()["deposits_expired"] == 1
    deposit.refresh_from_db()
    assert deposit.status == "expired"

    # LNbits settles invoices between its own wallets without checking expiry: money that
    # arrives after all is credited, not lost.
    payer_rail.pay(body["invoice"]["payment_request"])
    assert APIClient().post(webhook_path(deposit)).json() == {"status": "completed"}
    assert sats(deposit.wallet) == (500, 0)


@pytest.mark.django_db(transaction=True)
def test_lnbits_calls_the_webhook_itself(user, lightning_settings, payer_rail, live_server):
    lightning_settings.LIGHTNING_WEBHOOK_BASE_URL = live_server.url
    body = deposit_lightning(client_for(user), amount="0.00000321").json()
    deposit = Deposit.objects.get(public_id=body["id"])

    payer_rail.pay(body["invoice"]["payment_request"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        deposit.refresh_from_db()
        if deposit.status == "completed":
            break
        time.sleep(0.2)

    assert deposit.status == "completed"  # no reconcile ran: LNbits' webhook did it
    assert sats(deposit.wallet) == (321, 0)


# --- payouts against a real LNbits -----------------------------------------------------


def test_a_payout_pays_the_invoice_and_debits_amount_and_fee(
    user, lightning_settings, payer_rail, django_capture_on_commit_callbacks
):
    wallet = funded_wallet("0.00100000", currency="BTC", owner=user)  # 100,000 sat
    invoice = payer_rail.create_invoice(amount_sat=5000, memo="Coffee beans", expiry_seconds=600)
    clearing_before = clearing().balance_minor

    with django_capture_on_commit_callbacks(execute=True):  # the payment task runs on commit
        response = pay_lightning(client_for(user), invoice.bolt11, amount="0.00005000")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["held"] == "0.00005050"  # amount + 1 % reserve
    assert body["beneficiary_name"] == "Coffee beans"
    withdrawal = Withdrawal.objects.get(public_id=body["id"])
    withdrawal.refresh_from_db()
    assert withdrawal.status == "sent", withdrawal.note
    assert payer_rail.invoice_status(invoice.payment_hash).paid
    assert sats(wallet) == (100_000 - 5000 - withdrawal.fee_minor, 0)
    assert clearing().balance_minor == clearing_before + 5000 + withdrawal.fee_minor
    shown = client_for(user).get(f"/api/v1/withdrawals/{body['id']}").json()
    assert shown["status"] == "sent" and shown["held"] == "0.00000000" and len(shown["preimage"]) == 64
    assert AuditEvent.objects.filter(action="withdrawal.paid", target_id=body["id"]).count() == 1
    assert ledger_problems() == []


def test_payout_refusals_hold_nothing(user, lightning_settings, payer_rail, platform_rail):
    wallet = funded_wallet("0.00010000", currency="BTC", owner=user)  # 10,000 sat
    client = client_for(user)
    ok = payer_rail.create_invoice(amount_sat=1000, memo="ok", expiry_seconds=600)
    soon = payer_rail.create_invoice(amount_sat=1000, memo="soon", expiry_seconds=30)
    too_big = payer_rail.create_invoice(amount_sat=9950, memo="all of it", expiry_seconds=600)  # + reserve > balance
    own = deposit_lightning(client, amount="0.00000100").json()["invoice"]["payment_request"]

    cases = {
        "invalid_invoice": pay_lightning(client, "lnbc1notaninvoice"),
        "invoice_expired": pay_lightning(client, soon.bolt11),
        "invoice_amount_mismatch": pay_lightning(client, ok.bolt11, amount="0.00002000"),
        "insufficient_funds": pay_lightning(client, too_big.bolt11),
        "own_invoice": pay_lightning(client, own),
    }

    for name, response in cases.items():
        assert response.status_code == 422, (name, response.content)
        assert response.json()["code"] == ("invalid_invoice" if name == "own_invoice" else name)
    assert not Withdrawal.objects.exists()
    assert sats(wallet) == (10_000, 0)


def test_one_invoice_is_paid_out_once(
    user, other_user, lightning_settings, payer_rail, django_capture_on_commit_callbacks
):
    funded_wallet("0.00010000", currency="BTC", owner=user)
    funded_wallet("0.00010000", currency="BTC", owner=other_user)
    invoice = payer_rail.create_invoice(amount_sat=700, memo="once", expiry_seconds=600)

    with django_capture_on_commit_callbacks(execute=True):
        first = pay_lightning(client_for(user), invoice.bolt11)
    second = pay_lightning(client_for(other_user), invoice.bolt11)

    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["code"] == "invoice_already_paid"
    assert sats(LedgerAccount.objects.get(owner=other_user)) == (10_000, 0)


def test_the_pin_guards_lightning_payouts(user, password, lightning_settings, payer_rail):
    funded_wallet("0.00010000", currency="BTC", owner=user)
    pin_set(user=user, pin="4826", current_password=password)
    invoice = payer_rail.create_invoice(amount_sat=100, memo="pin", expiry_seconds=600)

    missing = pay_lightning(client_for(user), invoice.bolt11)
    wrong = pay_lightning(client_for(user), invoice.bolt11, pin="1111")

    assert missing.json()["code"] == "pin_required" and wrong.json()["code"] == "invalid_pin"
    assert not Withdrawal.objects.exists()


def test_a_payout_the_node_refuses_releases_the_hold(
    user, lightning_settings, payer_rail, django_capture_on_commit_callbacks
):
    # The customer's ledger wallet can afford it, but the platform's LNbits wallet cannot.
    kyc_approved(user)  # over the unverified customers' limit otherwise
    wallet = funded_wallet("1.00000000", currency="BTC", owner=user)
    invoice = payer_rail.create_invoice(amount_sat=5_000_000, memo="too much for the node", expiry_seconds=600)

    with django_capture_on_commit_callbacks(execute=True):
        body = pay_lightning(client_for(user), invoice.bolt11).json()

    withdrawal = Withdrawal.objects.get(public_id=body["id"])
    assert withdrawal.status == "failed" and "Refused" in withdrawal.note
    assert sats(wallet) == (100_000_000, 0)
    assert not payer_rail.invoice_status(invoice.payment_hash).paid
    assert ledger_problems() == []


def test_the_reconciler_pays_a_payout_whose_task_was_lost(user, lightning_settings, payer_rail):
    wallet = funded_wallet("0.00010000", currency="BTC", owner=user)
    invoice = payer_rail.create_invoice(amount_sat=1234, memo="lost task", expiry_seconds=600)
    body = pay_lightning(client_for(user), invoice.bolt11).json()  # on-commit task never runs here
    assert sats(wallet) == (10_000, 1234 + 13)

    counts = lightning.reconcile()

    assert counts["payouts_sent"] == 1
    assert Withdrawal.objects.get(public_id=body["id"]).status == "sent"
    assert sats(wallet) == (10_000 - 1234, 0)


def test_an_unknown_outcome_is_rechecked_before_the_hold_is_released(
    user, lightning_settings, payer_rail, platform_rail
):
    wallet = funded_wallet("0.00010000", currency="BTC", owner=user)
    paid_meanwhile = payer_rail.create_invoice(amount_sat=300, memo="timed out but paid", expiry_seconds=600)
    never_sent = payer_rail.create_invoice(amount_sat=400, memo="timed out, never arrived", expiry_seconds=600)
    client = client_for(user)
    ids = [pay_lightning(client, invoice.bolt11).json()["id"] for invoice in (paid_meanwhile, never_sent)]
    # Both were sent to the node and the client heard nothing back (a timeout): the first
    # payment went through regardless, the second never reached LNbits.
    Withdrawal.objects.filter(public_id__in=ids).update(attempted_at=timezone.now())
    platform_rail.pay(paid_meanwhile.bolt11)

    counts = lightning.reconcile()

    assert counts["payouts_sent"] == 1 and counts["payouts_failed"] == 0
    statuses = {str(w.public_id): w.status for w in Withdrawal.objects.all()}
    assert statuses == {ids[0]: "sent", ids[1]: "pending"}  # too early to call the second lost

    Withdrawal.objects.filter(public_id=ids[1]).update(attempted_at=timezone.now() - timedelta(hours=1))
    assert lightning.reconcile()["payouts_failed"] == 1
    assert sats(wallet) == (10_000 - 300, 0)
    assert ledger_problems() == []


def test_staff_can_check_a_payout_with_lnbits_now(user, make_staff, lightning_settings, payer_rail):
    funded_wallet("0.00010000", currency="BTC", owner=user)
    invoice = payer_rail.create_invoice(amount_sat=250, memo="staff check", expiry_seconds=600)
    body = pay_lightning(client_for(user), invoice.bolt11).json()
    withdrawal = Withdrawal.objects.get(public_id=body["id"])
    officer = make_staff("operations")

    response = console_for(officer).post(
        "/admin/wallets/withdrawal/", {"action": "check_lightning", "_selected_action": [withdrawal.pk]}, follow=True
    )

    withdrawal.refresh_from_db()
    assert withdrawal.status == "sent"
    assert "1 payout(s) checked" in response.content.decode()
    event = AuditEvent.objects.get(action="withdrawal.paid", target_id=body["id"])
    assert event.actor == officer


# --- concurrency (PostgreSQL row locks) ------------------------------------------------

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between threads")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_webhooks_and_pollers_at_once_credit_once(user, lightning_settings, payer_rail):
    body = deposit_lightning(client_for(user), amount="0.00000999").json()
    deposit = Deposit.objects.get(public_id=body["id"])
    payer_rail.pay(body["invoice"]["payment_request"])

    def check(index):
        if index % 2:
            return APIClient().post(webhook_path(deposit)).status_code
        return lightning.deposit_check(Deposit.objects.get(pk=deposit.pk)).status

    results = run_in_parallel(8, check)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sats(deposit.wallet) == (999, 0)
    assert JournalEntry.objects.filter(metadata__deposit=str(deposit.public_id)).count() == 1
    assert ledger_problems() == []


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_payers_and_checkers_at_once_pay_and_settle_once(user, lightning_settings, payer_rail, platform_rail):
    wallet = funded_wallet("0.00010000", currency="BTC", owner=user)
    invoice = payer_rail.create_invoice(amount_sat=2500, memo="race", expiry_seconds=600)
    # A payout whose funds are held and whose payment task has not run yet.
    prepared = lightning.withdrawal_prepare(invoice=invoice.bolt11)
    withdrawal = Withdrawal.objects.create(
        wallet=wallet,
        rail="lightning",
        currency="BTC",
        amount_minor=2500,
        fee_reserve_minor=lightning.fee_reserve_sats(2500),
        payment_hash=prepared["payment_hash"],
        payment_request=prepared["payment_request"],
    )
    hold_place(account=wallet, amount=withdrawal.held)
    node_before = platform_rail.balance_msat()

    results = run_in_parallel(
        6, lambda i: (lightning.withdrawal_pay if i % 2 else lightning.withdrawal_check)(withdrawal).status
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    lightning.reconcile()  # anyone who heard "pending" from LNbits leaves it to the reconciler
    withdrawal.refresh_from_db()
    assert withdrawal.status == "sent"
    assert node_before - platform_rail.balance_msat() == 2_500_000 + withdrawal.fee_minor * 1000  # paid once
    assert sats(wallet) == (10_000 - 2500 - withdrawal.fee_minor, 0)
    assert JournalEntry.objects.filter(idempotency_key=f"withdrawal:{withdrawal.public_id}").count() == 1
    assert ledger_problems() == []

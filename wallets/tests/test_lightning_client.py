"""The Lightning rail's client (wallets/rails/lightning.py) against a real LNbits.

LNbits runs with its FakeWallet funding source (the ``lnbits`` fixture): payments between
its wallets are settled inside LNbits, which is exactly how a deposit paid from another
LNbits wallet, or a withdrawal to one, behaves. Tests that need no LNbits (settings,
unreachable node, webhook tokens) run everywhere.
"""

import hashlib
import queue
import secrets
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wallets.rails import lnbits_server
from wallets.rails.lightning import (
    LightningDisabled,
    LightningNotFound,
    LightningRail,
    LightningRejected,
    LightningUnavailable,
    PaymentState,
    rail_from_settings,
    verify_webhook_token,
    webhook_secret_from_settings,
    webhook_token,
)

SETTING_NAMES = ("LIGHTNING_LNBITS_URL", "LIGHTNING_LNBITS_INVOICE_KEY", "LIGHTNING_LNBITS_ADMIN_KEY")


def _preimage_matches(preimage: str, payment_hash: str) -> bool:
    return hashlib.sha256(bytes.fromhex(preimage)).hexdigest() == payment_hash


# --- configuration, unreachable node, webhook tokens (no LNbits needed) ----------------


@pytest.mark.parametrize("unset", SETTING_NAMES)
def test_rail_disabled_when_a_setting_is_empty(settings, unset):
    for name in SETTING_NAMES:
        setattr(settings, name, "x")
    setattr(settings, unset, "")

    with pytest.raises(LightningDisabled) as caught:
        rail_from_settings()

    assert unset in caught.value.detail
    assert caught.value.code == "lightning_disabled"
    assert caught.value.status_code == 503


def test_rail_disabled_when_settings_are_missing(settings):
    for name in SETTING_NAMES:
        if hasattr(settings, name):
            delattr(settings, name)

    with pytest.raises(LightningDisabled):
        rail_from_settings()


def test_rail_from_settings_uses_url_keys_and_timeout(settings):
    settings.LIGHTNING_LNBITS_URL = "http://127.0.0.1:5001/"
    settings.LIGHTNING_LNBITS_INVOICE_KEY = "invoice-key"
    settings.LIGHTNING_LNBITS_ADMIN_KEY = "admin-key"
    settings.LIGHTNING_LNBITS_TIMEOUT = 3

    rail = rail_from_settings()

    assert (rail.base_url, rail.invoice_key, rail.admin_key, rail.timeout) == (
        "http://127.0.0.1:5001",
        "invoice-key",
        "admin-key",
        3.0,
    )
    assert "key" not in repr(rail)


def test_closed_port_is_unavailable():
    # A port that was free a moment ago: nothing listens there.
    rail = LightningRail(f"http://127.0.0.1:{lnbits_server.free_port()}", "invoice-key", "admin-key", timeout=2)
    some_hash = "ab" * 32

    for call in (
        lambda: rail.create_invoice(1000, "deposit", 600),
        lambda: rail.invoice_status(some_hash),
        lambda: rail.decode("lnbc1anything"),
        lambda: rail.pay("lnbc1anything"),
        lambda: rail.payment_status(some_hash),
    ):
        with pytest.raises(LightningUnavailable) as caught:
            call()
        assert caught.value.code == "lightning_unavailable"
        assert caught.value.lnbits_status is None


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "100", None])
def test_create_invoice_refuses_an_amount_that_is_not_a_positive_integer(amount):
    rail = LightningRail("http://127.0.0.1:9", "invoice-key", "admin-key")  # never contacted

    with pytest.raises(ValueError):
        rail.create_invoice(amount, "deposit", 600)


def test_status_calls_refuse_a_malformed_payment_hash():
    rail = LightningRail("http://127.0.0.1:9", "invoice-key", "admin-key")  # never contacted

    for bad in ("", "xyz", "ab" * 31, "../wallet", None):
        with pytest.raises(ValueError):
            rail.invoice_status(bad)
        with pytest.raises(ValueError):
            rail.payment_status(bad)


def test_webhook_token_verifies_only_for_its_reference_and_secret():
    secret = secrets.token_bytes(32)
    token = webhook_token("dep_123", secret)

    assert verify_webhook_token("dep_123", token, secret)
    assert not verify_webhook_token("dep_124", token, secret)
    assert not verify_webhook_token("dep_123", token, secrets.token_bytes(32))
    assert not verify_webhook_token("dep_123", token[:-1] + ("0" if token[-1] != "0" else "1"), secret)
    assert not verify_webhook_token("dep_123", token.upper(), secret)
    for garbage in ("", "é" * 64, None, 123):
        assert not verify_webhook_token("dep_123", garbage, secret)
    for bad_reference in ("", None, "x" * 201):
        assert not verify_webhook_token(bad_reference, token, secret)


def test_webhook_token_needs_a_secret():
    with pytest.raises(ValueError):
        webhook_token("dep_123", "")
    assert not verify_webhook_token("dep_123", webhook_token("dep_123", "s"), "")


def test_webhook_secret_falls_back_to_a_key_derived_from_secret_key(settings):
    settings.LIGHTNING_WEBHOOK_SECRET = ""
    derived = webhook_secret_from_settings()
    assert derived and settings.SECRET_KEY.encode() not in derived

    settings.LIGHTNING_WEBHOOK_SECRET = "from-the-environment"
    assert webhook_secret_from_settings() == b"from-the-environment"


# --- against LNbits --------------------------------------------------------------------


def test_invoice_paid_from_another_wallet_becomes_paid(platform_rail, payer_rail):
    balance_before = platform_rail.balance_msat()

    invoice = platform_rail.create_invoice(1500, "deposit 1", 600)

    assert invoice.amount_sat == 1500
    assert invoice.bolt11.startswith("lnbc")
    assert timedelta(seconds=590) < invoice.expires_at - datetime.now(UTC) <= timedelta(seconds=600)
    unpaid = platform_rail.invoice_status(invoice.payment_hash)
    assert (unpaid.paid, unpaid.state, unpaid.preimage) == (False, PaymentState.PENDING, None)

    payment = payer_rail.pay(invoice.bolt11)

    assert payment.succeeded
    assert (payment.payment_hash, payment.amount_msat, payment.fee_msat) == (invoice.payment_hash, 1_500_000, 0)
    assert _preimage_matches(payment.preimage, invoice.payment_hash)
    paid = platform_rail.invoice_status(invoice.payment_hash)
    assert (paid.paid, paid.state, paid.amount_msat) == (True, PaymentState.SUCCESS, 1_500_000)
    assert paid.preimage == payment.preimage
    assert platform_rail.balance_msat() == balance_before + 1_500_000


def test_decode_reports_amount_hash_description_and_expiry(platform_rail):
    invoice = platform_rail.create_invoice(2100, "deposit for wallet 42", 900)

    decoded = platform_rail.decode(invoice.bolt11)

    assert decoded.payment_hash == invoice.payment_hash
    assert decoded.amount_msat == 2_100_000
    assert decoded.description == "deposit for wallet 42"
    assert decoded.expiry == 900
    assert abs(decoded.expires_at - invoice.expires_at) <= timedelta(seconds=2)
    assert decoded.currency == "bc"
    assert not decoded.is_expired()
    assert decoded.is_expired(at=decoded.expires_at)
    # As a wallet app copies it, with the URI scheme and surrounding space.
    assert platform_rail.decode(f"  lightning:{invoice.bolt11.upper()}\n").payment_hash == invoice.payment_hash


def test_platform_pays_an_invoice_of_the_payer(platform_rail, payer_rail):
    invoice = payer_rail.create_invoice(700, "withdrawal", 600)

    payment = platform_rail.pay(invoice.bolt11)

    assert payment.succeeded and payment.payment_hash == invoice.payment_hash
    assert payment.amount_msat == 700_000
    status = platform_rail.payment_status(invoice.payment_hash)
    assert (status.state, status.amount_msat, status.fee_msat) == (PaymentState.SUCCESS, 700_000, 0)
    assert _preimage_matches(status.preimage, invoice.payment_hash)
    assert payer_rail.invoice_status(invoice.payment_hash).paid


def test_paying_the_same_invoice_again_returns_the_first_payment(platform_rail, payer_rail):
    invoice = payer_rail.create_invoice(300, "withdrawal retried", 600)
    first = platform_rail.pay(invoice.bolt11)
    balance_after_first = platform_rail.balance_msat()

    again = platform_rail.pay(invoice.bolt11)

    assert again.succeeded and again.payment_hash == first.payment_hash
    assert again.preimage == first.preimage
    assert platform_rail.balance_msat() == balance_after_first  # paid once


def test_paying_an_invoice_someone_else_paid_is_rejected(platform_rail, payer_rail):
    invoice = platform_rail.create_invoice(400, "deposit", 600)
    payer_rail.pay(invoice.bolt11)

    with pytest.raises(LightningRejected) as caught:
        platform_rail.pay(invoice.bolt11)

    assert "already paid" in caught.value.detail
    assert caught.value.lnbits_status == 520
    with pytest.raises(LightningNotFound):
        platform_rail.payment_status(invoice.payment_hash)  # nothing left this wallet


@pytest.mark.parametrize("garbage", ["lnbc1garbage", "not an invoice", "   ", "lightning:"])
def test_garbage_bolt11_is_rejected(platform_rail, garbage):
    balance = platform_rail.balance_msat()

    with pytest.raises(LightningRejected):
        platform_rail.pay(garbage)
    with pytest.raises(LightningRejected):
        platform_rail.decode(garbage)

    assert platform_rail.balance_msat() == balance


def test_paying_more_than_the_balance_is_rejected_and_nothing_is_recorded(platform_rail, payer_rail):
    too_much_sat = platform_rail.balance_msat() // 1000 + 1000
    invoice = payer_rail.create_invoice(too_much_sat, "too much", 600)

    with pytest.raises(LightningRejected) as caught:
        platform_rail.pay(invoice.bolt11)

    assert "balance" in caught.value.detail.lower()
    with pytest.raises(LightningNotFound):
        platform_rail.payment_status(invoice.payment_hash)
    assert not payer_rail.invoice_status(invoice.payment_hash).paid


def test_another_wallets_invoice_is_not_found(platform_rail, payer_rail):
    # LNbits tells anyone whether any of its payments is paid; the client only believes
    # answers about the platform wallet's own invoices.
    theirs = payer_rail.create_invoice(100, "not BlockScore's", 600)

    with pytest.raises(LightningNotFound):
        platform_rail.invoice_status(theirs.payment_hash)
    with pytest.raises(LightningNotFound):
        platform_rail.invoice_status(secrets.token_hex(32))
    with pytest.raises(LightningNotFound):
        platform_rail.payment_status(secrets.token_hex(32))


def test_an_unpaid_invoice_is_not_a_payment(platform_rail):
    invoice = platform_rail.create_invoice(100, "deposit", 600)

    with pytest.raises(LightningNotFound):
        platform_rail.payment_status(invoice.payment_hash)


def test_wallet_paying_its_own_invoice_reports_both_sides(platform_rail):
    # A withdrawal to another BlockScore customer's deposit invoice: the same wallet.
    invoice = platform_rail.create_invoice(250, "deposit", 600)

    payment = platform_rail.pay(invoice.bolt11)

    assert payment.succeeded
    assert platform_rail.payment_status(invoice.payment_hash).succeeded
    status = platform_rail.invoice_status(invoice.payment_hash)
    assert (status.paid, status.amount_msat) == (True, 250_000)


def test_wrong_keys_are_rejected(lnbits):
    rail = LightningRail(lnbits.url, "0" * 32, "1" * 32)

    with pytest.raises(LightningRejected):
        rail.create_invoice(100, "deposit", 600)
    with pytest.raises(LightningRejected):
        rail.balance_msat()


def test_invoice_key_cannot_pay(lnbits, payer_rail):
    rail = LightningRail(lnbits.url, lnbits.platform.invoice_key, lnbits.platform.invoice_key)
    invoice = payer_rail.create_invoice(100, "bill", 600)

    with pytest.raises(LightningRejected) as caught:
        rail.pay(invoice.bolt11)

    assert caught.value.lnbits_status == 403
    assert not payer_rail.invoice_status(invoice.payment_hash).paid


def test_rail_from_settings_talks_to_the_platform_wallet(lightning_settings, payer_rail):
    rail = rail_from_settings()
    invoice = rail.create_invoice(123, "deposit", 600)
    payer_rail.pay(invoice.bolt11)

    assert rail.invoice_status(invoice.payment_hash).paid


class _WebhookReceiver(BaseHTTPRequestHandler):
    received: queue.Queue

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.put((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_receiver():
    received = queue.Queue()
    handler = type("Receiver", (_WebhookReceiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_webhook_arrives_with_the_token_and_the_status_is_rechecked(platform_rail, payer_rail, webhook_receiver):
    base, received = webhook_receiver
    secret = secrets.token_bytes(32)
    reference = "dep_" + secrets.token_hex(8)  # BlockScore's id of the deposit, known before the invoice
    invoice = platform_rail.create_invoice(
        900, "deposit", 600, webhook_url=f"{base}/lightning/{reference}/{webhook_token(reference, secret)}"
    )

    payer_rail.pay(invoice.bolt11)

    path, _untrusted_body = received.get(timeout=20)
    _, _, got_reference, got_token = path.split("/")
    assert got_reference == reference
    assert verify_webhook_token(got_reference, got_token, secret)
    # The handler's next step: the deposit's stored payment hash, asked of LNbits.
    assert platform_rail.invoice_status(invoice.payment_hash).paid


# --- the local LNbits helper: bounded start-up, log on failure, children stopped --------


def _fake_lnbits(tmp_path, script: str):
    """A venv-shaped folder whose ``bin/lnbits`` is ``script`` (bash)."""
    venv = tmp_path / "venv"
    (venv / "lib" / "python3.11" / "site-packages" / "lnbits" / "static").mkdir(parents=True)
    (venv / "lib" / "python3.11" / "site-packages" / "lnbits" / "templates").mkdir()
    executable = venv / "bin" / "lnbits"
    executable.parent.mkdir()
    executable.write_text("#!/usr/bin/env bash\n" + script)
    executable.chmod(0o755)
    return venv


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_lnbits_exiting_at_start_up_fails_with_its_log(tmp_path):
    venv = _fake_lnbits(tmp_path, "echo 'cannot open database: disk full'\nexit 3\n")

    with pytest.raises(lnbits_server.LNbitsError) as caught:
        lnbits_server.LNbitsServer(venv=venv, data_dir=tmp_path / "data").start(timeout=30)

    assert "exited with code 3" in str(caught.value)
    assert "cannot open database: disk full" in str(caught.value)


def test_lnbits_start_up_is_bounded_and_stops_its_children(tmp_path):
    pids = tmp_path / "pids"
    venv = _fake_lnbits(tmp_path, f"sleep 300 &\necho $! > {pids}\necho 'still migrating'\nsleep 300\n")
    server = lnbits_server.LNbitsServer(venv=venv, data_dir=tmp_path / "data")

    with pytest.raises(lnbits_server.LNbitsError) as caught:
        server.start(timeout=1.5)

    assert "did not answer" in str(caught.value) and "still migrating" in str(caught.value)
    child = int(pids.read_text())
    assert not _alive(child)

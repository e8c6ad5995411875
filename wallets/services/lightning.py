"""The Lightning rail for wallets: deposits by invoice, withdrawals by paying an invoice.

Lightning moves bitcoin, so both live in BTC wallets, whose minor unit is the satoshi.
The platform holds one LNbits wallet (wallets.rails.lightning); the ``lightning``
clearing account mirrors it: a deposit moves clearing → customer wallet, a withdrawal
customer wallet → clearing for the amount and the routing fee, so the clearing account's
balance is always minus what LNbits holds for customers.

Deposit:    create: pending, with a fixed-amount invoice on LNbits (and a webhook URL)
            pending or expired --(LNbits says the invoice is paid)--> completed
            pending --(unpaid once the invoice expired, plus a grace period)--> expired

Withdrawal: create: the BOLT11 invoice is decoded, its amount and expiry checked, and the
            amount plus a routing-fee reserve is held; then, after commit, a task pays it
            pending --(LNbits: succeeded)--> sent (wallet → clearing: amount + fee; hold released)
            pending --(LNbits refused it, or the payment failed, or LNbits has no record
                       of it long after the attempt)--> failed (hold released)

Who decides: never a webhook body, a customer or operations. LNbits is asked about the
stored payment hash each time (``invoice_status`` / ``payment_status``), by the webhook
handler, by the ``wallets.lightning_reconcile`` job every minute and by staff's "check
with LNbits" action. What moves money happens in a short transaction that locks the row
and checks the state it leaves, so two of them at once credit or settle once (and the
journal entry's idempotency key, ``deposit:<id>`` / ``withdrawal:<id>``, says so again).

LNbits is called outside transactions, with one exception: creating a deposit's invoice
happens inside the request's transaction, so that the response stored for the
Idempotency-Key carries the invoice. An invoice whose transaction rolls back is never
shown to anyone, so it is never paid.
"""

from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_event_record
from blockscore import money
from wallets import exceptions
from wallets.models import Deposit, JournalEntry, LedgerAccount, Rail, Withdrawal
from wallets.rails.lightning import (
    LightningError,
    LightningNotFound,
    LightningRail,
    LightningRejected,
    LightningUnavailable,
    Payment,
    clean_bolt11,
    rail_from_settings,
    webhook_secret_from_settings,
    webhook_token,
)
from wallets.services.accounts import system_account
from wallets.services.ledger import Line, entry_post, hold_place, hold_release
from wallets.services.rails import deposit_wallet, withdrawal_wallet

logger = logging.getLogger(__name__)

CURRENCY = "BTC"  # Lightning pays bitcoin; BTC's minor unit (8 places) is the satoshi
DEPOSIT_EXPIRY_GRACE = timedelta(minutes=10)  # LNbits settles its own wallets' invoices late
UNKNOWN_PAYMENT_FINAL_AFTER = 3  # × the client timeout: "no such payment" is then final


@contextmanager
def _given_or_configured(rail: LightningRail | None):
    """The caller's rail (a batch shares one), or one from the settings, closed afterwards."""
    if rail is not None:
        yield rail
        return
    with rail_from_settings() as configured:
        yield configured


def _clearing() -> LedgerAccount:
    return system_account(LedgerAccount.Kind.CLEARING, CURRENCY, rail=Rail.LIGHTNING)


def _suspense() -> LedgerAccount:
    return system_account(LedgerAccount.Kind.SUSPENSE, CURRENCY)


def _check_currency(currency: str) -> None:
    if currency != CURRENCY:
        raise exceptions.CurrencyNotSupported(
            f"Lightning moves bitcoin: use a {CURRENCY} wallet, not {currency}.", extra={"currency": CURRENCY}
        )


def _sats(amount: Decimal) -> int:
    return money.to_minor_units(amount, CURRENCY)


def _btc(sats: int) -> Decimal:
    return money.from_minor_units(sats, CURRENCY)


def _record(action: str, instance, *, before: str | None = None, actor=None, **metadata) -> None:
    audit_event_record(
        action=action,
        actor=actor,
        target=instance,
        changes={"status": {"before": before, "after": instance.status}} if before else None,
        metadata={
            "rail": Rail.LIGHTNING,
            "amount": money.format_amount(instance.amount, instance.currency),
            "currency": instance.currency,
            "payment_hash": instance.payment_hash,
            **metadata,
        },
    )


# --- deposits --------------------------------------------------------------------------


def webhook_url(reference: str) -> str | None:
    """The URL LNbits calls when the deposit ``reference`` is paid; None without a base URL."""
    base = (getattr(settings, "LIGHTNING_WEBHOOK_BASE_URL", "") or "").rstrip("/")
    if not base:
        return None
    token = webhook_token(reference, webhook_secret_from_settings())
    return base + reverse("lightning-webhook", kwargs={"reference": reference, "token": token})


@transaction.atomic
def deposit_create(*, user, currency: str, amount: Decimal) -> Deposit:
    """A pending deposit with an LNbits invoice for ``amount`` (BTC) to show the customer."""
    _check_currency(currency)
    rail = rail_from_settings()  # LightningDisabled before anything is written
    wallet = deposit_wallet(user=user, rail=Rail.LIGHTNING, currency=currency, amount=amount)
    deposit = Deposit(wallet=wallet, rail=Rail.LIGHTNING, currency=currency, amount_minor=_sats(amount))
    with rail:
        invoice = rail.create_invoice(
            amount_sat=deposit.amount_minor,
            memo=f"BlockScore deposit {deposit.reference}",
            expiry_seconds=settings.LIGHTNING_INVOICE_EXPIRY_SECONDS,
            webhook_url=webhook_url(deposit.reference),
        )
    deposit.payment_hash = invoice.payment_hash
    deposit.payment_request = invoice.bolt11
    deposit.expires_at = invoice.expires_at
    deposit.save()
    _record("deposit.requested", deposit, actor=user)
    return deposit


def deposit_check(deposit: Deposit, *, rail: LightningRail | None = None, actor=None) -> Deposit:
    """Ask LNbits whether the deposit's invoice is paid; credit it once, or expire it.

    Raises ``LightningError`` when LNbits cannot answer (nothing changes then)."""
    if deposit.rail != Rail.LIGHTNING or not deposit.payment_hash:
        raise exceptions.InvalidTransition("Only Lightning deposits are checked with LNbits.")
    if deposit.status not in (Deposit.Status.PENDING, Deposit.Status.EXPIRED):
        return deposit
    with _given_or_configured(rail) as rail:
        status = rail.invoice_status(deposit.payment_hash)
    if status.paid:
        if status.amount_msat != deposit.amount_minor * 1000:  # LNbits enforces it; the books insist
            raise LightningUnavailable(
                f"Invoice {deposit.payment_hash} was paid {status.amount_msat} msat, not {deposit.amount_minor} sat."
            )
        return _deposit_credit(deposit, preimage=status.preimage or "", actor=actor)
    if deposit.status == Deposit.Status.PENDING and deposit.expires_at + DEPOSIT_EXPIRY_GRACE <= timezone.now():
        return _deposit_expire(deposit, actor=actor)
    return deposit


@transaction.atomic
def _deposit_credit(deposit: Deposit, *, preimage: str, actor=None) -> Deposit:
    deposit = Deposit.objects.select_for_update(of=("self",)).select_related("wallet").get(pk=deposit.pk)
    if deposit.status not in (Deposit.Status.PENDING, Deposit.Status.EXPIRED):
        return deposit  # another checker credited it first
    before = deposit.status
    deposit.entry = entry_post(
        kind=JournalEntry.Kind.DEPOSIT,
        lines=[Line(_clearing(), -deposit.amount), Line(deposit.wallet, deposit.amount)],
        memo=f"Lightning deposit {deposit.reference}",
        initiator=None,
        idempotency_key=f"deposit:{deposit.public_id}",
        metadata={"deposit": str(deposit.public_id), "rail": Rail.LIGHTNING, "payment_hash": deposit.payment_hash},
    )
    deposit.status = Deposit.Status.COMPLETED
    deposit.completed_at = timezone.now()
    deposit.note = "Invoice paid."
    deposit.save(update_fields=["status", "entry", "completed_at", "note"])
    _record("deposit.credited", deposit, before=before, actor=actor, preimage=preimage)
    return deposit


@transaction.atomic
def _deposit_expire(deposit: Deposit, *, actor=None) -> Deposit:
    deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
    if deposit.status != Deposit.Status.PENDING:
        return deposit
    deposit.status = Deposit.Status.EXPIRED
    deposit.note = "The invoice expired unpaid."
    deposit.save(update_fields=["status", "note"])
    _record("deposit.expired", deposit, before=Deposit.Status.PENDING, actor=actor)
    return deposit


# --- withdrawals -----------------------------------------------------------------------


def fee_reserve_sats(amount_sat: int) -> int:
    """The routing-fee reserve held on top of a payout: a share of it, at least a minimum."""
    share = math.ceil(amount_sat * settings.LIGHTNING_FEE_RESERVE_PPM / 1_000_000)
    return max(settings.LIGHTNING_FEE_RESERVE_MIN_SAT, share)


def withdrawal_prepare(*, invoice: str, amount: Decimal | None = None) -> dict:
    """Decode and check an invoice before anything is held (calls LNbits, no transaction).

    Returns the fields ``withdrawal_create`` needs. Refuses invoices without an amount,
    for fractions of a satoshi, for another amount than the one the customer confirmed,
    already expired or expiring too soon to be paid, and BlockScore's own deposit invoices.
    """
    with rail_from_settings() as rail:
        try:
            decoded = rail.decode(invoice)
        except LightningRejected as exc:
            raise exceptions.InvalidInvoice(f"This is not a Lightning invoice we can pay: {exc.detail}") from exc
    if decoded.amount_msat is None:
        raise exceptions.InvalidInvoice("The invoice has no amount. Ask the payee for an invoice with an amount.")
    if decoded.amount_msat % 1000:
        raise exceptions.InvalidInvoice("The invoice asks for a fraction of a satoshi; wallets here hold whole sats.")
    amount_sat = decoded.amount_msat // 1000
    if amount is not None and _sats(amount) != amount_sat:
        raise exceptions.InvoiceAmountMismatch(
            extra={"invoice_amount": money.format_amount(_btc(amount_sat), CURRENCY)}
        )
    left = decoded.expires_at - timezone.now()
    if left < timedelta(seconds=settings.LIGHTNING_MIN_INVOICE_SECONDS_LEFT):
        raise exceptions.InvoiceExpired(extra={"expires_at": decoded.expires_at.isoformat()})
    if Deposit.objects.filter(payment_hash=decoded.payment_hash).exists():
        raise exceptions.InvalidInvoice("This is a BlockScore deposit invoice: send money to a customer by transfer.")
    return {
        "payment_hash": decoded.payment_hash,
        "payment_request": clean_bolt11(invoice),
        "amount_sat": amount_sat,
        "description": decoded.description or "",
    }


@transaction.atomic
def withdrawal_create(*, user, currency: str, prepared: dict) -> Withdrawal:
    """Hold the amount and fee reserve for a prepared invoice; the payment follows on commit."""
    from blockscore.queue import enqueue

    _check_currency(currency)
    wallet = withdrawal_wallet(
        user=user,
        rail=Rail.LIGHTNING,
        currency=currency,
        amount=_btc(prepared["amount_sat"]),
        metadata={"payment_hash": prepared["payment_hash"]},
    )
    if (
        Withdrawal.objects.filter(payment_hash=prepared["payment_hash"])
        .exclude(status=Withdrawal.Status.FAILED)
        .exists()
    ):
        raise exceptions.InvoiceAlreadyPaid()
    withdrawal = Withdrawal(
        wallet=wallet,
        rail=Rail.LIGHTNING,
        currency=currency,
        amount_minor=prepared["amount_sat"],
        fee_reserve_minor=fee_reserve_sats(prepared["amount_sat"]),
        payment_hash=prepared["payment_hash"],
        payment_request=prepared["payment_request"],
        beneficiary_name=prepared["description"][:140],
    )
    hold_place(account=wallet, amount=withdrawal.held)
    withdrawal.save()
    _record("withdrawal.requested", withdrawal, actor=user, fee_reserve=str(withdrawal.fee_reserve_minor))
    enqueue("wallets.lightning_withdrawal_pay", withdrawal.pk)
    return withdrawal


def withdrawal_pay(withdrawal: Withdrawal, *, actor=None) -> Withdrawal:
    """Send the payment through LNbits and settle on the answer (safe to call again)."""
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
        if withdrawal.status != Withdrawal.Status.PENDING or withdrawal.rail != Rail.LIGHTNING:
            return withdrawal
        if withdrawal.attempted_at is None:  # committed before LNbits hears of it
            withdrawal.attempted_at = timezone.now()
            withdrawal.save(update_fields=["attempted_at"])
    with rail_from_settings() as rail:
        try:
            payment = rail.pay(withdrawal.payment_request)
        except LightningRejected as exc:  # LNbits refused: nothing was paid
            return _withdrawal_fail(withdrawal, note=f"Refused by the Lightning node: {exc.detail}", actor=actor)
        except LightningUnavailable:
            logger.warning("lightning payment outcome unknown", extra={"withdrawal": str(withdrawal.public_id)})
            return withdrawal  # may or may not have been paid: the reconciler asks later
    return _withdrawal_apply(withdrawal, payment, actor=actor)


def withdrawal_check(withdrawal: Withdrawal, *, rail: LightningRail | None = None, actor=None) -> Withdrawal:
    """Ask LNbits what became of a pending payout and settle or release it accordingly.

    A payout never sent (its task was lost) is sent now. One LNbits does not know is
    failed only once long enough has passed since the attempt that it cannot still be
    on its way (``UNKNOWN_PAYMENT_FINAL_AFTER`` client timeouts)."""
    if withdrawal.rail != Rail.LIGHTNING:
        raise exceptions.InvalidTransition("Only Lightning payouts are checked with LNbits.")
    if withdrawal.status != Withdrawal.Status.PENDING:
        return withdrawal
    if withdrawal.attempted_at is None:
        return withdrawal_pay(withdrawal, actor=actor)
    with _given_or_configured(rail) as rail:
        try:
            payment = rail.payment_status(withdrawal.payment_hash)
        except LightningNotFound:
            final_after = timedelta(seconds=UNKNOWN_PAYMENT_FINAL_AFTER * rail.timeout)
            if timezone.now() - withdrawal.attempted_at < final_after:
                return withdrawal
            return _withdrawal_fail(withdrawal, note="The Lightning node has no record of the payment.", actor=actor)
    return _withdrawal_apply(withdrawal, payment, actor=actor)


def _withdrawal_apply(withdrawal: Withdrawal, payment: Payment, *, actor=None) -> Withdrawal:
    if payment.succeeded:
        return _withdrawal_settle(withdrawal, payment, actor=actor)
    if payment.failed:
        return _withdrawal_fail(withdrawal, note="The Lightning payment failed.", actor=actor)
    return withdrawal  # in flight: the reconciler asks again


@transaction.atomic
def _withdrawal_settle(withdrawal: Withdrawal, payment: Payment, *, actor=None) -> Withdrawal:
    withdrawal = Withdrawal.objects.select_for_update(of=("self",)).select_related("wallet").get(pk=withdrawal.pk)
    if withdrawal.status != Withdrawal.Status.PENDING:
        return withdrawal
    fee_sat = math.ceil((payment.fee_msat or 0) / 1000)  # what left the node, in whole sats
    charged = min(fee_sat, withdrawal.fee_reserve_minor)  # the customer never pays above the reserve
    hold_release(account=withdrawal.wallet, amount=withdrawal.held)
    lines = [
        Line(withdrawal.wallet, -_btc(withdrawal.amount_minor + charged)),
        Line(_clearing(), _btc(withdrawal.amount_minor + fee_sat)),
    ]
    if fee_sat > charged:  # cannot happen while the reserve covers LNbits' own: investigate
        lines.append(Line(_suspense(), -_btc(fee_sat - charged)))
    withdrawal.entry = entry_post(
        kind=JournalEntry.Kind.WITHDRAWAL,
        lines=lines,
        memo=f"Lightning payment {withdrawal.payment_hash[:16]}",
        initiator=None,
        idempotency_key=f"withdrawal:{withdrawal.public_id}",
        metadata={
            "withdrawal": str(withdrawal.public_id),
            "rail": Rail.LIGHTNING,
            "payment_hash": withdrawal.payment_hash,
            "fee_sat": fee_sat,
        },
        allow_inactive=True,  # LNbits already paid: a wallet frozen meanwhile still owes it
    )
    withdrawal.status = Withdrawal.Status.SENT
    withdrawal.fee_minor = charged
    withdrawal.preimage = payment.preimage or ""
    withdrawal.decided_at = timezone.now()
    withdrawal.note = "Paid."
    withdrawal.save(update_fields=["status", "entry", "fee_minor", "preimage", "decided_at", "note"])
    _record(
        "withdrawal.paid",
        withdrawal,
        before=Withdrawal.Status.PENDING,
        actor=actor,
        fee=str(charged),
        preimage=withdrawal.preimage,
    )
    return withdrawal


@transaction.atomic
def _withdrawal_fail(withdrawal: Withdrawal, *, note: str, actor=None) -> Withdrawal:
    withdrawal = Withdrawal.objects.select_for_update(of=("self",)).select_related("wallet").get(pk=withdrawal.pk)
    if withdrawal.status != Withdrawal.Status.PENDING:
        return withdrawal
    hold_release(account=withdrawal.wallet, amount=withdrawal.held)
    withdrawal.status = Withdrawal.Status.FAILED
    withdrawal.decided_at = timezone.now()
    withdrawal.note = note[:280]
    withdrawal.save(update_fields=["status", "decided_at", "note"])
    _record("withdrawal.failed", withdrawal, before=Withdrawal.Status.PENDING, actor=actor, note=note)
    return withdrawal


# --- the reconciler --------------------------------------------------------------------


def reconcile(*, max_age: timedelta = timedelta(days=7)) -> dict:
    """Check every pending Lightning deposit and payout with LNbits (the scheduled job).

    Returns counts by outcome. One that LNbits cannot answer about is counted and left
    for the next run; a disabled rail is not an error (nothing can be pending on it)."""
    counts = {"deposits_credited": 0, "deposits_expired": 0, "payouts_sent": 0, "payouts_failed": 0, "errors": 0}
    since = timezone.now() - max_age
    deposits = Deposit.objects.filter(rail=Rail.LIGHTNING, status=Deposit.Status.PENDING, created_at__gte=since)
    withdrawals = Withdrawal.objects.filter(
        rail=Rail.LIGHTNING, status=Withdrawal.Status.PENDING, created_at__gte=since
    )
    if not deposits.exists() and not withdrawals.exists():
        return counts
    with rail_from_settings() as rail:
        for deposit in deposits.order_by("pk").iterator():
            try:
                status = deposit_check(deposit, rail=rail).status
            except (LightningError, exceptions.AccountNotActive) as exc:
                counts["errors"] += 1
                logger.warning("lightning deposit check failed: %s", exc, extra={"deposit": str(deposit.public_id)})
                continue
            if status == Deposit.Status.COMPLETED:
                counts["deposits_credited"] += 1
            elif status == Deposit.Status.EXPIRED:
                counts["deposits_expired"] += 1
        for withdrawal in withdrawals.order_by("pk").iterator():
            try:
                status = withdrawal_check(withdrawal, rail=rail).status
            except LightningError as exc:
                counts["errors"] += 1
                logger.warning(
                    "lightning payout check failed: %s", exc, extra={"withdrawal": str(withdrawal.public_id)}
                )
                continue
            if status == Withdrawal.Status.SENT:
                counts["payouts_sent"] += 1
            elif status == Withdrawal.Status.FAILED:
                counts["payouts_failed"] += 1
    return counts

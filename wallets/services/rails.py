"""Deposits and withdrawals: the entry points for every rail, and the bank rail's state machines.

Lightning's flows live in wallets.services.lightning; ``deposit_create`` and
``withdrawal_create`` hand them over.

Deposit:    pending --(operations confirm receipt)--> completed   (clearing -> wallet)
            pending --(cancel)--> cancelled
Withdrawal: (funds held) pending --(operations mark sent)--> sent (wallet -> clearing, hold released)
            pending --(operations mark failed)--> failed (hold released)

A transition locks its row and checks the state it leaves, so a double click in the
console or two operators at once change it once. Every transition is audited with who,
when, why and the state it came from, in the same transaction as its postings.
"""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore import money
from wallets import checks, exceptions
from wallets.models import Deposit, JournalEntry, LedgerAccount, Rail, Withdrawal
from wallets.services.accounts import system_account, wallet_open
from wallets.services.ledger import Line, entry_post, hold_place, hold_release

BANK_RAILS = {Rail.BANK_TRANSFER}


def _clearing(rail: str, currency: str) -> LedgerAccount:
    return system_account(LedgerAccount.Kind.CLEARING, currency, rail=rail)


def _bank_only(instance) -> None:
    """Operations decide bank movements; Lightning's are decided by the node's answers."""
    if instance.rail not in BANK_RAILS:
        raise exceptions.InvalidTransition(
            f'{Rail(instance.rail).label} items are settled by the rail: use "Check with LNbits".'
        )


def _transition(instance, *, to: str, actor, note: str, action: str, allowed_from=("pending",)) -> str:
    if instance.status not in allowed_from:
        raise exceptions.InvalidTransition(f"It is {instance.status}, not {' or '.join(allowed_from)}.")
    before = instance.status
    instance.status = to
    instance.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    instance.note = note[:280]
    audit_event_record(
        action=action,
        actor=actor,
        target=instance,
        changes={"status": {"before": before, "after": to}},
        metadata={
            "note": note,
            "amount": money.format_amount(instance.amount, instance.currency),
            "currency": instance.currency,
        },
    )
    return before


def deposit_wallet(*, user, rail: str, currency: str, amount: Decimal, metadata: dict | None = None) -> LedgerAccount:
    """The wallet a deposit credits (opened on first use), once the pre-transfer checks agree."""
    wallet = wallet_open(owner=user, currency=currency)
    checks.run_pre_transfer_checks(
        checks.MovementIntent(
            kind="deposit",
            initiator=user,
            source=None,
            destination=wallet,
            amount=amount,
            currency=currency,
            metadata={"rail": rail, **(metadata or {})},
        )
    )
    return wallet


def withdrawal_wallet(
    *, user, rail: str, currency: str, amount: Decimal, metadata: dict | None = None
) -> LedgerAccount:
    """The customer's wallet a payout debits, once the pre-transfer checks agree."""
    wallet = LedgerAccount.objects.filter(
        owner=user, kind=LedgerAccount.Kind.CUSTOMER_WALLET, currency=currency
    ).first()
    if wallet is None:
        raise exceptions.WalletNotFound()
    checks.run_pre_transfer_checks(
        checks.MovementIntent(
            kind="withdrawal",
            initiator=user,
            source=wallet,
            destination=None,
            amount=amount,
            currency=currency,
            metadata={"rail": rail, **(metadata or {})},
        )
    )
    return wallet


def bank_deposit_instructions(deposit: Deposit) -> dict:
    return {
        "reference": deposit.reference,
        "beneficiary": settings.BANK_DEPOSIT_BENEFICIARY,
        "account": settings.BANK_DEPOSIT_ACCOUNT,
        "bank": settings.BANK_DEPOSIT_BANK,
        "note": "Put the reference in the transfer's description; we credit your wallet when the money arrives.",
    }


@transaction.atomic
def deposit_create(*, user, rail: str, currency: str, amount: Decimal) -> Deposit:
    if rail == Rail.LIGHTNING:
        from wallets.services import lightning

        return lightning.deposit_create(user=user, currency=currency, amount=amount)
    if rail not in BANK_RAILS:
        raise exceptions.RailUnavailable(f"Deposits by {rail} are not available.")
    wallet = deposit_wallet(user=user, rail=rail, currency=currency, amount=amount)
    deposit = Deposit.objects.create(
        wallet=wallet, rail=rail, currency=currency, amount_minor=money.to_minor_units(amount, currency)
    )
    audit_event_record(
        action="deposit.requested",
        actor=user,
        target=deposit,
        metadata={"rail": rail, "amount": money.format_amount(amount, currency), "currency": currency},
    )
    return deposit


@transaction.atomic
def deposit_confirm(*, deposit: Deposit, actor, note: str = "") -> Deposit:
    """Operations saw the money arrive: credit the wallet from the rail's clearing account."""
    deposit = Deposit.objects.select_for_update(of=("self",)).select_related("wallet").get(pk=deposit.pk)
    _bank_only(deposit)
    _transition(deposit, to=Deposit.Status.COMPLETED, actor=actor, note=note, action="deposit.confirmed")
    deposit.entry = entry_post(
        kind=JournalEntry.Kind.DEPOSIT,
        lines=[Line(_clearing(deposit.rail, deposit.currency), -deposit.amount), Line(deposit.wallet, deposit.amount)],
        memo=f"Deposit {deposit.reference}",
        initiator=actor,
        idempotency_key=f"deposit:{deposit.public_id}",
        metadata={"deposit": str(deposit.public_id), "rail": deposit.rail},
    )
    deposit.completed_at = timezone.now()
    deposit.save(update_fields=["status", "decided_by", "note", "entry", "completed_at"])
    return deposit


@transaction.atomic
def deposit_cancel(*, deposit: Deposit, actor, note: str = "") -> Deposit:
    deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
    _bank_only(deposit)
    _transition(deposit, to=Deposit.Status.CANCELLED, actor=actor, note=note, action="deposit.cancelled")
    deposit.save(update_fields=["status", "decided_by", "note"])
    return deposit


@transaction.atomic
def withdrawal_create(
    *,
    user,
    rail: str,
    currency: str,
    amount: Decimal | None = None,
    beneficiary_name: str = "",
    beneficiary_account: str = "",
    beneficiary_bank: str = "",
    invoice: str = "",
    pin: str | None = None,
) -> Withdrawal:
    """Hold the funds and queue a bank payout for operations to send (or pay a Lightning invoice)."""
    from wallets.services.pin import pin_check

    pin_check(user=user, pin=pin)
    if rail == Rail.LIGHTNING:
        from wallets.services import lightning

        # Decoding asks LNbits inside this transaction so an Idempotency-Key replay answers
        # from its record even after the invoice expired; decoding changes nothing.
        prepared = lightning.withdrawal_prepare(invoice=invoice, amount=amount)
        return lightning.withdrawal_create(user=user, currency=currency, prepared=prepared)
    if rail not in BANK_RAILS:
        raise exceptions.RailUnavailable(f"Withdrawals by {rail} are not available.")
    if amount is None or not beneficiary_name or not beneficiary_account:
        raise ValueError("a bank payout needs an amount and a beneficiary")
    wallet = withdrawal_wallet(user=user, rail=rail, currency=currency, amount=amount)
    hold_place(account=wallet, amount=amount)
    withdrawal = Withdrawal.objects.create(
        wallet=wallet,
        rail=rail,
        currency=currency,
        amount_minor=money.to_minor_units(amount, currency),
        beneficiary_name=beneficiary_name,
        beneficiary_account=beneficiary_account,
        beneficiary_bank=beneficiary_bank,
    )
    audit_event_record(
        action="withdrawal.requested",
        actor=user,
        target=withdrawal,
        metadata={"rail": rail, "amount": money.format_amount(amount, currency), "currency": currency},
    )
    return withdrawal


@transaction.atomic
def withdrawal_mark_sent(*, withdrawal: Withdrawal, actor, note: str = "") -> Withdrawal:
    """The payout left the bank: release the hold and post wallet -> clearing."""
    withdrawal = Withdrawal.objects.select_for_update(of=("self",)).select_related("wallet").get(pk=withdrawal.pk)
    _bank_only(withdrawal)
    _transition(withdrawal, to=Withdrawal.Status.SENT, actor=actor, note=note, action="withdrawal.sent")
    hold_release(account=withdrawal.wallet, amount=withdrawal.amount)
    withdrawal.entry = entry_post(
        kind=JournalEntry.Kind.WITHDRAWAL,
        lines=[
            Line(withdrawal.wallet, -withdrawal.amount),
            Line(_clearing(withdrawal.rail, withdrawal.currency), withdrawal.amount),
        ],
        memo=f"Withdrawal to {withdrawal.beneficiary_name}",
        initiator=actor,
        idempotency_key=f"withdrawal:{withdrawal.public_id}",
        metadata={"withdrawal": str(withdrawal.public_id), "rail": withdrawal.rail},
    )  # a wallet frozen since the request refuses this: operations then mark the payout failed
    withdrawal.decided_at = timezone.now()
    withdrawal.save(update_fields=["status", "decided_by", "note", "entry", "decided_at"])
    return withdrawal


@transaction.atomic
def withdrawal_mark_failed(*, withdrawal: Withdrawal, actor, note: str = "") -> Withdrawal:
    """The payout bounced or was never made: the held funds are the customer's again."""
    withdrawal = Withdrawal.objects.select_for_update(of=("self",)).select_related("wallet").get(pk=withdrawal.pk)
    _bank_only(withdrawal)
    _transition(withdrawal, to=Withdrawal.Status.FAILED, actor=actor, note=note, action="withdrawal.failed")
    hold_release(account=withdrawal.wallet, amount=withdrawal.amount)
    withdrawal.decided_at = timezone.now()
    withdrawal.save(update_fields=["status", "decided_by", "note", "decided_at"])
    return withdrawal

"""Posting journal entries: the only way money moves.

``entry_post`` writes one balanced entry in one transaction:

1. The lines are checked before anything is locked: at least two, none zero, each at
   its account's currency scale (callers quantize; the ledger never rounds), and the
   amounts sum to zero per currency.
2. The accounts are locked with SELECT ... FOR UPDATE in ascending id order, so two
   entries touching the same accounts queue instead of deadlocking.
3. Under the locks: an idempotency key already used returns its entry (or refuses a
   different one); frozen or closed accounts refuse; a customer wallet may not end below
   its held amount when debited.
4. The entry, its postings (with each account's balance after them) and the new
   balances are written, and an audit event is appended, all in the same transaction.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore import money
from wallets import exceptions
from wallets.models import JournalEntry, LedgerAccount, Posting


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    amount: Decimal


def _to_units(lines: list[Line]) -> list[tuple[LedgerAccount, int]]:
    """The lines in minor units, after checking that they make a balanced entry."""
    if len(lines) < 2:
        raise exceptions.UnbalancedEntry("an entry needs at least two postings")
    units: list[tuple[LedgerAccount, int]] = []
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if not isinstance(line.amount, Decimal):
            raise TypeError(f"posting amounts must be Decimal, not {type(line.amount).__name__}")
        try:
            amount = money.to_minor_units(line.amount, line.account.currency)
        except money.LossyAmount as exc:
            raise exceptions.UnbalancedEntry(str(exc)) from exc
        if amount == 0:
            raise exceptions.UnbalancedEntry("a posting may not be zero")
        units.append((line.account, amount))
        totals[line.account.currency] += amount
    unbalanced = {code: total for code, total in totals.items() if total != 0}
    if unbalanced:
        raise exceptions.UnbalancedEntry(f"postings do not sum to zero (minor units): {unbalanced}")
    return units


def _same_entry(entry: JournalEntry, kind: str, units: list[tuple[LedgerAccount, int]]) -> bool:
    stored = sorted(entry.postings.values_list("account_id", "amount_minor"))
    asked = sorted((account.pk, amount) for account, amount in units)
    return entry.kind == kind and stored == asked


def accounts_lock(account_ids) -> dict[int, LedgerAccount]:
    """Lock accounts in ascending id order (the one order every writer uses) and return them by id."""
    accounts = LedgerAccount.objects.select_for_update().filter(pk__in=sorted(account_ids)).order_by("pk")
    return {account.pk: account for account in accounts}


def entry_post(
    *,
    kind: str,
    lines: list[Line],
    memo: str = "",
    initiator=None,
    idempotency_key: str | None = None,
    metadata: dict | None = None,
    reverses: JournalEntry | None = None,
    allow_inactive: bool = False,
) -> JournalEntry:
    """Post one balanced journal entry; see the module docstring for the rules it keeps."""
    units = _to_units(lines)
    with transaction.atomic():
        accounts = accounts_lock({account.pk for account, _ in units})
        if idempotency_key:
            existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                if not _same_entry(existing, kind, units):
                    raise exceptions.IdempotencyMismatch()
                return existing

        deltas: dict[int, int] = defaultdict(int)
        for account, amount in units:
            deltas[account.pk] += amount
        for account_id, delta in deltas.items():
            account = accounts[account_id]
            if account.status != LedgerAccount.Status.ACTIVE and not allow_inactive:
                raise exceptions.AccountNotActive(
                    f"Account {account.number} is {account.status}.", extra={"account": account.number}
                )
            if account.is_customer_wallet and delta < 0 and account.balance_minor + delta < account.held_minor:
                raise exceptions.InsufficientFunds(extra={"account": account.number})

        now = timezone.now()
        try:
            with transaction.atomic():
                entry = JournalEntry.objects.create(
                    kind=kind,
                    memo=memo[:280],
                    initiator=initiator if getattr(initiator, "is_authenticated", False) else None,
                    idempotency_key=idempotency_key or None,
                    metadata=metadata or {},
                    reverses=reverses,
                    posted_at=now,
                )
        except IntegrityError as exc:
            if reverses is not None and JournalEntry.objects.filter(reverses=reverses).exists():
                raise exceptions.EntryAlreadyReversed() from exc
            raise

        running = {account_id: account.balance_minor for account_id, account in accounts.items()}
        postings = []
        for account, amount in units:
            running[account.pk] += amount
            postings.append(
                Posting(
                    entry=entry,
                    account_id=account.pk,
                    currency=account.currency,
                    amount_minor=amount,
                    balance_after_minor=running[account.pk],
                    posted_at=now,
                )
            )
        Posting.objects.bulk_create(postings)
        for account_id in deltas:
            accounts[account_id].balance_minor = running[account_id]
        LedgerAccount.objects.bulk_update([accounts[account_id] for account_id in deltas], ["balance_minor"])

        audit_event_record(
            action="ledger.entry_posted",
            actor=initiator,
            target=entry,
            metadata={
                "kind": kind,
                "postings": [
                    {
                        "account": accounts[line.account.pk].number,
                        "amount": money.format_amount(line.amount, line.account.currency),
                        "currency": line.account.currency,
                    }
                    for line in lines
                ],
                **({"reverses": str(reverses.public_id)} if reverses else {}),
            },
        )
    return entry


def entry_reverse(
    *, entry: JournalEntry, initiator, memo: str = "", idempotency_key: str | None = None
) -> JournalEntry:
    """Post the mirror image of ``entry``; an entry is reversed at most once."""
    if entry.kind == JournalEntry.Kind.REVERSAL:
        raise exceptions.CannotReverseReversal()
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise exceptions.EntryAlreadyReversed()
    lines = [
        Line(account=posting.account, amount=-posting.amount) for posting in entry.postings.select_related("account")
    ]
    return entry_post(
        kind=JournalEntry.Kind.REVERSAL,
        lines=lines,
        memo=memo or f"Reversal of {entry.public_id}",
        initiator=initiator,
        idempotency_key=idempotency_key,
        reverses=entry,
    )


def hold_place(*, account: LedgerAccount, amount: Decimal) -> None:
    """Reserve ``amount`` of a customer wallet's available funds (a pending withdrawal)."""
    units = money.to_minor_units(amount, account.currency)
    if units <= 0:
        raise ValueError("a hold must be positive")
    with transaction.atomic():
        locked = accounts_lock([account.pk])[account.pk]
        if locked.status != LedgerAccount.Status.ACTIVE:
            raise exceptions.AccountNotActive(f"Account {locked.number} is {locked.status}.")
        if locked.balance_minor - locked.held_minor < units:
            raise exceptions.InsufficientFunds(extra={"account": locked.number})
        locked.held_minor += units
        locked.save(update_fields=["held_minor"])


def hold_release(*, account: LedgerAccount, amount: Decimal) -> None:
    """Give back a hold placed by ``hold_place`` (the withdrawal was paid out or failed)."""
    units = money.to_minor_units(amount, account.currency)
    with transaction.atomic():
        locked = accounts_lock([account.pk])[account.pk]
        if locked.held_minor < units:
            raise ValueError(f"account {locked.number} holds less than {amount}")
        locked.held_minor -= units
        locked.save(update_fields=["held_minor"])

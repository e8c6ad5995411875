"""Posting journal entries: the only way money moves.

``entry_post`` writes one balanced entry in one transaction:

1. The lines are checked before anything is locked: at least two, none zero, each at
   its account's currency scale (callers quantize; the ledger never rounds), and the
   amounts sum to zero per currency.
2. The accounts are locked with SELECT ... FOR UPDATE in ascending id order, so two
   entries touching the same accounts queue instead of deadlocking. (A caller that has
   already locked them in this transaction, in that order, passes them as ``locked``:
   transfers lock them while resolving the recipient.)
3. Under the locks: an idempotency key already used returns its entry (or refuses a
   different one); frozen or closed accounts refuse; a customer wallet may not end below
   its held amount when debited. These refusals come before any write.
4. The entry, its postings (with each account's balance after them), the new balances
   (one UPDATE, which also keeps each debited wallet's daily transfer total) and an audit
   event are written, all in the same transaction. The audit event is chained to the
   audit trail right after the commit (``audit_event_append``), so concurrent entries
   never wait for one another on the audit chain, only on the accounts they share.

The writes are lean SQL (``blockscore.sql.RowInsert``, one UPDATE for the balances): this
is the hottest path of the platform. The PostgreSQL guards still check every entry at
commit (balanced, two or more postings, currencies, append-only).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone

from audit.services import audit_event_append, audit_event_statement, audit_event_written
from blockscore import money, sql
from blockscore.sql import RowInsert
from wallets import exceptions, hooks
from wallets.models import JournalEntry, LedgerAccount, Posting


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    amount: Decimal


def ledger_day(moment: datetime | None = None) -> date:
    """The books' calendar day of ``moment`` (by default now), in ``settings.TIME_ZONE``
    whatever time zone a request has activated: wallets' daily transfer totals are kept
    per ledger day. (Cheaper than ``timezone.localdate``, which looks up the active time
    zone of the thread: this runs on every transfer.)"""
    return (moment or timezone.now()).astimezone(timezone.get_default_timezone()).date()


def sent_on(wallet: LedgerAccount, day: date | None = None) -> int:
    """Minor units a wallet has sent in transfers on ``day`` (by default today, the ledger
    day): its running daily total, which counts only for the day it was kept for."""
    return wallet.transfers_out_minor if wallet.transfers_out_day == (day or ledger_day()) else 0


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


_ENTRY_INSERT = RowInsert(
    JournalEntry, ["public_id", "kind", "memo", "initiator", "idempotency_key", "reverses", "metadata", "posted_at"]
)
_POSTING_INSERT = RowInsert(
    Posting, ["entry", "account", "currency", "amount_minor", "balance_after_minor", "posted_at"]
)


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
    locked: dict[int, LedgerAccount] | None = None,
) -> JournalEntry:
    """Post one balanced journal entry; see the module docstring for the rules it keeps.

    ``locked``: the accounts of the lines by id, already locked FOR UPDATE in ascending id
    order in the current transaction, as ``accounts_lock`` returns them.
    """
    units = _to_units(lines)
    if not connection.in_atomic_block:
        with transaction.atomic():
            return entry_post(
                kind=kind,
                lines=lines,
                memo=memo,
                initiator=initiator,
                idempotency_key=idempotency_key,
                metadata=metadata,
                reverses=reverses,
                allow_inactive=allow_inactive,
                locked=locked,
            )
    # In a transaction from here on. The checks raise before anything is written, so a
    # refusal needs no savepoint; the writes below roll back together with the caller.
    if locked is None:
        accounts = accounts_lock({account.pk for account, _ in units})
    else:
        accounts = locked
        if any(account.pk not in accounts for account, _ in units):
            raise ValueError("locked must hold every account of the entry")
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

    with transaction.atomic(savepoint=False):  # an error from here on rolls back the caller's transaction
        now = timezone.now()
        entry = sql.build(
            JournalEntry,
            kind=kind,
            memo=memo[:280],
            initiator_id=initiator.pk if getattr(initiator, "is_authenticated", False) else None,
            idempotency_key=idempotency_key or None,
            metadata=metadata or {},
            reverses_id=reverses.pk if reverses is not None else None,
            posted_at=now,
        )
        running = {account_id: account.balance_minor for account_id, account in accounts.items()}
        postings = []
        for account, amount in units:
            running[account.pk] += amount
            postings.append(  # given their entry once it has an id
                sql.build(
                    Posting,
                    account_id=account.pk,
                    currency=account.currency,
                    amount_minor=amount,
                    balance_after_minor=running[account.pk],
                    posted_at=now,
                )
            )
        balances = _balances_update(
            accounts=[accounts[account_id] for account_id in deltas],
            running=running,
            deltas=deltas,
            transfer_day=ledger_day(now) if kind == JournalEntry.Kind.TRANSFER else None,
        )
        event_fields = {
            "action": "ledger.entry_posted",
            "actor": initiator,
            "target": entry,
            "metadata": {
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
        }
        if reverses is None and connection.vendor == "postgresql":
            event, *event_insert = audit_event_statement(**event_fields)
            _entry_write_at_once(entry, postings, balances, event_insert)
            audit_event_written(event)
        else:
            if reverses is None:
                _ENTRY_INSERT.insert([entry])
            else:
                try:
                    with transaction.atomic():
                        _ENTRY_INSERT.insert([entry])
                except IntegrityError as exc:
                    if JournalEntry.objects.filter(reverses=reverses).exists():
                        raise exceptions.EntryAlreadyReversed() from exc
                    raise
            for posting in postings:
                posting.entry = entry  # now with its id
            _POSTING_INSERT.insert(postings)
            with connection.cursor() as cursor:
                cursor.execute(*balances)
            audit_event_append(**event_fields)
        hooks.entry_posted(entry)  # e.g. transaction monitoring, queued for after the commit
    # The postings as written, and their (locked, updated) accounts, so that showing the
    # result of a posting costs no query (wallets.selectors.transfer_summary).
    entry.posted = [(posting, accounts[posting.account_id]) for posting in postings]
    return entry


def _balances_update(
    *, accounts: list[LedgerAccount], running: dict[int, int], deltas: dict[int, int], transfer_day
) -> tuple[str, list]:
    """The UPDATE of the new balances, and of the daily transfer totals of the wallets a transfer debits.

    The (locked) account objects are updated to match.
    """
    balances, days, totals = [], [], []  # (id, value) per CASE
    for account in accounts:
        account.balance_minor = running[account.pk]
        balances.append((account.pk, account.balance_minor))
        if transfer_day is not None and account.is_customer_wallet and deltas[account.pk] < 0:
            sent = sent_on(account, transfer_day)
            account.transfers_out_day, account.transfers_out_minor = transfer_day, sent - deltas[account.pk]
            days.append((account.pk, connection.ops.adapt_datefield_value(transfer_day)))
            totals.append((account.pk, account.transfers_out_minor))
    assignments, params = [], []
    for column, cases in (("balance_minor", balances), ("transfers_out_day", days), ("transfers_out_minor", totals)):
        if cases:
            assignments.append(f"{column} = CASE id {' '.join(['WHEN %s THEN %s'] * len(cases))} ELSE {column} END")
            params += [value for case in cases for value in case]
    params += [account.pk for account in accounts]
    ids = ", ".join(["%s"] * len(accounts))
    return f"UPDATE wallets_ledgeraccount SET {', '.join(assignments)} WHERE id IN ({ids})", params


# The postings' columns besides their entry's, written by _entry_write_at_once (a RowInsert
# for its fields and their conversions).
_POSTING_VALUES = RowInsert(Posting, ["account", "currency", "amount_minor", "balance_after_minor", "posted_at"])


def _entry_write_at_once(
    entry: JournalEntry, postings: list[Posting], balances: tuple[str, list], event_insert: tuple[str, list]
) -> None:
    """PostgreSQL: the audit event, then the entry, its postings and the balances in one
    statement (data-modifying CTEs), in one round trip.

    Both as prepared statements (one per number of postings and of accounts: a handful of
    shapes). The postings take the entry's new id in SQL; every constraint and trigger
    applies as to separate statements (the foreign keys at the end of the statement, the
    balance check at commit).
    """
    db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` looks it up on every use
    entry_sql, params = _ENTRY_INSERT.statement([entry], returning_pk=True)
    for posting in postings:
        params += _POSTING_VALUES.values(posting, db)
    fields = _POSTING_VALUES.fields
    # Straight into the INSERT (not a VALUES list joined to the entry): each parameter
    # then has the type of its column, as a prepared statement needs.
    rows = ", ".join(["((SELECT id FROM entry), " + ", ".join(["%s"] * len(fields)) + ")"] * len(postings))
    columns = ", ".join(field.column for field in fields)
    balances_sql, balances_params = balances
    cursor = sql.cursor(db)
    sql.execute_all(
        cursor,
        [
            event_insert,
            (
                f"WITH entry AS ({entry_sql}), "
                f"postings AS (INSERT INTO wallets_posting (entry_id, {columns}) VALUES {rows} RETURNING id), "
                f"balances AS ({balances_sql}) "
                "SELECT (SELECT id FROM entry), postings.id FROM postings ORDER BY postings.id",
                params + balances_params,
            ),
        ],
    )
    written = cursor.fetchall()  # the postings' ids, in the order of their rows
    entry.pk = written[0][0]
    alias = db.alias
    entry._state.adding, entry._state.db = False, alias
    for posting, (_entry_id, posting_id) in zip(postings, written, strict=True):
        posting.pk = posting_id
        posting.entry = entry
        posting._state.adding, posting._state.db = False, alias


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

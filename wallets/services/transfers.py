"""Customer-to-customer transfers in one currency.

Rules: the sender's own wallet in the currency pays; the recipient is named by e-mail
(their wallet in that currency, opened for them if they have none) or by account number
(which must be an active customer's wallet in the same currency); never the same wallet;
the amount within the configured per-transfer and per-day limits
(settings.TRANSFER_LIMITS) and through every registered pre-transfer check.

Both wallets are locked (FOR UPDATE, ascending id order) by the query that finds them, and
handed to ``entry_post`` locked. The daily total is the sender's ``transfers_out_minor``,
which ``entry_post`` keeps in the same UPDATE as the balance, read under that lock: parallel
transfers cannot together pass the daily limit, and the check costs no query.
"""

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from blockscore import money, sql
from wallets import checks, exceptions
from wallets.models import JournalEntry, LedgerAccount
from wallets.services.accounts import wallet_open
from wallets.services.ledger import Line, entry_post, sent_on

# What the transfer needs of each wallet; other fields load on access.
_WALLET_FIELDS = [
    "id",
    "number",
    "kind",
    "owner_id",
    "currency",
    "status",
    "balance_minor",
    "held_minor",
    "transfers_out_day",
    "transfers_out_minor",
]


def _wallets_lock(*, sender, currency: str, named: str, value) -> tuple[LedgerAccount | None, LedgerAccount | None]:
    """The sender's wallet in ``currency`` and the customer wallet whose ``named`` column is ``value``.

    One query, locking both (FOR UPDATE, in ascending id order, as every ledger writer
    does), so the transfer needs no second lock. Either is None when not found; the named
    wallet carries ``owner_public_id`` and ``owner_is_active`` (whether it may receive).
    """
    db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` looks it up on every use
    columns = ", ".join(f"a.{name}" for name in _WALLET_FIELDS)
    lock = " FOR UPDATE OF a" if db.features.has_select_for_update_of else ""
    cursor = sql.cursor(db)
    sql.execute(
        cursor,
        f"SELECT {columns}, u.public_id, u.is_active FROM wallets_ledgeraccount a "
        "INNER JOIN accounts_user u ON u.id = a.owner_id "
        f"WHERE a.kind = %s AND ((a.owner_id = %s AND a.currency = %s) OR a.{named} = %s) ORDER BY a.id{lock}",
        [LedgerAccount.Kind.CUSTOMER_WALLET, sender.pk, currency, value],
    )
    rows = cursor.fetchall()
    source = destination = None
    width = len(_WALLET_FIELDS)
    alias = db.alias
    for row in rows:
        values = list(row[:width])
        if isinstance(values[8], str):  # SQLite gives dates back as text
            values[8] = date.fromisoformat(values[8])
        wallet = LedgerAccount.from_db(alias, _WALLET_FIELDS, values)
        public_id = row[width]
        wallet.owner_public_id = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(public_id)
        wallet.owner_is_active = bool(row[width + 1])
        if wallet.owner_id == sender.pk and wallet.currency == currency:
            source = wallet
        if (wallet.pk if named == "id" else getattr(wallet, named)) == value:
            destination = wallet
    return source, destination


def _limits_minor(currency: str) -> tuple[int, int]:
    if currency not in settings.TRANSFER_LIMITS:
        raise exceptions.TransferRefused(f"Transfers in {currency} are not offered.", code="currency_not_transferable")
    per_transfer, per_day = settings.TRANSFER_LIMITS[currency]
    return money.to_minor_units(Decimal(per_transfer), currency), money.to_minor_units(Decimal(per_day), currency)


def _display(units: int, currency: str) -> str:
    return f"{money.format_amount(money.from_minor_units(units, currency), currency)} {currency}"


def transfer_create(
    *,
    sender,
    currency: str,
    amount: Decimal,
    to_email: str | None = None,
    to_account: str | None = None,
    memo: str = "",
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Move ``amount`` from the sender's wallet to the recipient's, as one journal entry.

    One transaction, so a recipient wallet opened for this transfer is not left behind if
    it fails. Inside the caller's transaction, a transfer to an account number needs no
    savepoint of its own: nothing is written before ``entry_post``, whose refusals come
    before its writes, and whose writes roll back with the caller's transaction.
    """
    amount = money.exact(amount, currency)
    arguments = {
        "sender": sender,
        "currency": currency,
        "amount": amount,
        "to_email": to_email,
        "to_account": to_account,
        "memo": memo,
        "idempotency_key": idempotency_key,
    }
    if to_account and connection.in_atomic_block:
        return _transfer(**arguments)
    with transaction.atomic():
        return _transfer(**arguments)


def _transfer(
    *, sender, currency: str, amount: Decimal, to_email: str | None, to_account: str | None, memo: str, idempotency_key
) -> JournalEntry:
    if to_account:
        source, destination = _wallets_lock(sender=sender, currency=currency, named="number", value=to_account.strip())
        if source is None:
            raise exceptions.WalletNotFound()
        if destination is None or not destination.owner_is_active:
            raise exceptions.RecipientNotFound()
        if destination.currency != currency:
            raise exceptions.CurrencyMismatch()
    else:
        from django.contrib.auth import get_user_model

        if not LedgerAccount.objects.filter(
            owner=sender, kind=LedgerAccount.Kind.CUSTOMER_WALLET, currency=currency
        ).exists():
            raise exceptions.WalletNotFound()
        recipient = get_user_model().objects.filter(email__iexact=(to_email or "").strip(), is_active=True).first()
        if recipient is None:
            raise exceptions.RecipientNotFound()
        opened = wallet_open(owner=recipient, currency=currency)
        source, destination = _wallets_lock(sender=sender, currency=currency, named="id", value=opened.pk)
        if source is None:
            raise exceptions.WalletNotFound()
    if destination.pk == source.pk:
        raise exceptions.TransferToSelf()
    per_transfer, per_day = _limits_minor(currency)
    units = money.to_minor_units(amount, currency)
    if units > per_transfer:
        raise exceptions.LimitExceeded(f"A single transfer may be at most {_display(per_transfer, currency)}.")
    # A replay of a posted transfer is answered by entry_post; only new ones count against the day.
    replay = bool(idempotency_key) and JournalEntry.objects.filter(idempotency_key=idempotency_key).exists()
    if not replay and sent_on(source) + units > per_day:
        raise exceptions.LimitExceeded(
            f"Transfers from this wallet may total at most {_display(per_day, currency)} a day."
        )
    checks.run_pre_transfer_checks(
        checks.MovementIntent(
            kind="transfer",
            initiator=sender,
            source=source,
            destination=destination,
            amount=amount,
            currency=currency,
        )
    )
    return entry_post(
        kind=JournalEntry.Kind.TRANSFER,
        lines=[Line(source, -amount), Line(destination, amount)],
        memo=memo,
        initiator=sender,
        idempotency_key=idempotency_key,
        metadata={"from": str(sender.public_id), "to": str(destination.owner_public_id)},
        locked={source.pk: source, destination.pk: destination},
    )

"""Customer-to-customer transfers in one currency.

Rules: the sender's own wallet in the currency pays; the recipient is named by e-mail
(their wallet in that currency, opened for them if they have none) or by account number
(which must be a customer wallet in the same currency); never the same wallet; the
amount within the configured per-transfer and per-day limits (settings.TRANSFER_LIMITS)
and through every registered pre-transfer check. The daily total is read under the
accounts' row locks, so parallel transfers cannot together pass the daily limit.
"""

from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from blockscore import money
from wallets import checks, exceptions
from wallets.models import JournalEntry, LedgerAccount, Posting
from wallets.services.accounts import wallet_open
from wallets.services.ledger import Line, accounts_lock, entry_post


def _recipient_wallet(*, currency: str, to_email: str | None, to_account: str | None) -> LedgerAccount:
    from django.contrib.auth import get_user_model

    if to_account:
        wallet = (
            LedgerAccount.objects.select_related("owner")
            .filter(number=to_account.strip(), kind=LedgerAccount.Kind.CUSTOMER_WALLET, owner__is_active=True)
            .first()
        )
        if wallet is None:
            raise exceptions.RecipientNotFound()
        if wallet.currency != currency:
            raise exceptions.CurrencyMismatch()
        return wallet
    recipient = get_user_model().objects.filter(email__iexact=(to_email or "").strip(), is_active=True).first()
    if recipient is None:
        raise exceptions.RecipientNotFound()
    wallet = wallet_open(owner=recipient, currency=currency)
    wallet.owner = recipient  # already loaded: spare the query when the entry names the recipient
    return wallet


def _sent_today_minor(wallet: LedgerAccount) -> int:
    start = timezone.make_aware(datetime.combine(timezone.now().date(), time.min), timezone.get_current_timezone())
    total = Posting.objects.filter(
        account=wallet, amount_minor__lt=0, posted_at__gte=start, entry__kind=JournalEntry.Kind.TRANSFER
    ).aggregate(total=Sum("amount_minor"))["total"]
    return -(total or 0)


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
    """Move ``amount`` from the sender's wallet to the recipient's, as one journal entry."""
    amount = money.exact(amount, currency)
    # One transaction: a recipient wallet opened for this transfer is not left behind if it fails.
    with transaction.atomic():
        source = LedgerAccount.objects.filter(
            owner=sender, kind=LedgerAccount.Kind.CUSTOMER_WALLET, currency=currency
        ).first()
        if source is None:
            raise exceptions.WalletNotFound()
        destination = _recipient_wallet(currency=currency, to_email=to_email, to_account=to_account)
        if destination.pk == source.pk:
            raise exceptions.TransferToSelf()
        per_transfer, per_day = _limits_minor(currency)
        units = money.to_minor_units(amount, currency)
        if units > per_transfer:
            raise exceptions.LimitExceeded(f"A single transfer may be at most {_display(per_transfer, currency)}.")
        accounts_lock([source.pk, destination.pk])
        # A replay of a posted transfer is answered by entry_post; only new ones count against the day.
        replay = bool(idempotency_key) and JournalEntry.objects.filter(idempotency_key=idempotency_key).exists()
        if not replay and _sent_today_minor(source) + units > per_day:
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
            metadata={"from": str(sender.public_id), "to": str(destination.owner.public_id)},
        )

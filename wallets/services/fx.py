"""FX: rates set by operations, quotes, and executing a quote once.

The customer rate is the mid rate less the spread: ``mid * (1 - spread_bps / 10000)``.
The amount bought is ``sell * customer_rate`` rounded DOWN to the buy currency's minor
unit (the customer never receives more than the quoted rate gives; the fraction of a
unit stays with the FX position). The exchange posts one entry, balanced per currency:

    customer's sell wallet  -S (sell)      FX position (sell)  +S (sell)
    FX position (buy)       -B (buy)       customer's buy wallet +B (buy)
"""

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore import money
from blockscore.exceptions import NotFound
from wallets import checks, exceptions
from wallets.models import FxQuote, FxRate, JournalEntry, LedgerAccount
from wallets.services.accounts import system_account, wallet_open
from wallets.services.ledger import Line, entry_post

_BPS = Decimal(10000)


@transaction.atomic
def fx_rate_set(*, base: str, quote: str, rate: Decimal, spread_bps: int, actor) -> FxRate:
    money.currency(base), money.currency(quote)
    if base == quote or rate <= 0 or not 0 <= spread_bps < 10000:
        raise exceptions.ValidationFailed("A rate needs two currencies, a positive rate and a spread below 100%.")
    existing = FxRate.objects.select_for_update().filter(base=base, quote=quote).first()
    before = {"rate": str(existing.rate), "spread_bps": existing.spread_bps} if existing else None
    fx_rate, _ = FxRate.objects.update_or_create(
        base=base, quote=quote, defaults={"rate": rate, "spread_bps": spread_bps, "updated_by": actor}
    )
    audit_event_record(
        action="fx.rate_set",
        actor=actor,
        target=fx_rate,
        changes={
            "rate": {"before": before and before["rate"], "after": str(rate)},
            "spread_bps": {"before": before and before["spread_bps"], "after": spread_bps},
        },
    )
    return fx_rate


def mid_rate(sell: str, buy: str) -> tuple[Decimal, int]:
    """The mid rate (buy per one sell) and spread for a pair, from a direct or an inverse rate."""
    direct = FxRate.objects.filter(base=sell, quote=buy).first()
    if direct is not None:
        return direct.rate, direct.spread_bps
    inverse = FxRate.objects.filter(base=buy, quote=sell).first()
    if inverse is not None:
        return (Decimal(1) / inverse.rate).quantize(Decimal("1e-10")), inverse.spread_bps
    raise exceptions.FxRateUnavailable()


@transaction.atomic
def fx_quote_create(*, user, sell_currency: str, buy_currency: str, sell_amount: Decimal) -> FxQuote:
    if sell_currency == buy_currency:
        raise exceptions.ValidationFailed("Choose two different currencies.", code="same_currency")
    mid, spread_bps = mid_rate(sell_currency, buy_currency)
    customer_rate = (mid * (1 - Decimal(spread_bps) / _BPS)).quantize(Decimal("1e-10"), rounding=ROUND_DOWN)
    buy_amount = money.quantize(money.exact(sell_amount, sell_currency) * customer_rate, buy_currency, ROUND_DOWN)
    if buy_amount <= 0:
        raise money.InvalidAmount("The amount is too small to exchange.")
    return FxQuote.objects.create(
        user=user,
        sell_currency=sell_currency,
        buy_currency=buy_currency,
        sell_amount_minor=money.to_minor_units(sell_amount, sell_currency),
        buy_amount_minor=money.to_minor_units(buy_amount, buy_currency),
        customer_rate=customer_rate,
        mid_rate=mid,
        expires_at=timezone.now() + timedelta(seconds=settings.FX_QUOTE_TTL_SECONDS),
    )


@transaction.atomic
def fx_exchange_execute(*, user, quote_id) -> FxQuote:
    """Execute the user's open quote once, at its rate."""
    quote = FxQuote.objects.select_for_update().filter(public_id=quote_id, user=user).first()
    if quote is None:
        raise NotFound("No such quote.")
    if quote.status == FxQuote.Status.EXECUTED:
        raise exceptions.FxQuoteUsed()
    if quote.status == FxQuote.Status.EXPIRED or quote.expires_at <= timezone.now():
        raise exceptions.FxQuoteExpired()
    source = LedgerAccount.objects.filter(
        owner=user, kind=LedgerAccount.Kind.CUSTOMER_WALLET, currency=quote.sell_currency
    ).first()
    if source is None:
        raise exceptions.WalletNotFound()
    destination = wallet_open(owner=user, currency=quote.buy_currency)
    checks.run_pre_transfer_checks(
        checks.MovementIntent(
            kind="fx_exchange",
            initiator=user,
            source=source,
            destination=destination,
            amount=quote.sell_amount,
            currency=quote.sell_currency,
            metadata={"buy_currency": quote.buy_currency},
        )
    )
    position_sell = system_account(LedgerAccount.Kind.FX_POSITION, quote.sell_currency)
    position_buy = system_account(LedgerAccount.Kind.FX_POSITION, quote.buy_currency)
    quote.entry = entry_post(
        kind=JournalEntry.Kind.FX_EXCHANGE,
        lines=[
            Line(source, -quote.sell_amount),
            Line(position_sell, quote.sell_amount),
            Line(position_buy, -quote.buy_amount),
            Line(destination, quote.buy_amount),
        ],
        memo=f"{quote.sell_currency} to {quote.buy_currency} at {quote.customer_rate.normalize()}",
        initiator=user,
        idempotency_key=f"fx:{quote.public_id}",
        metadata={"quote": str(quote.public_id), "mid_rate": str(quote.mid_rate)},
    )
    quote.status = FxQuote.Status.EXECUTED
    quote.save(update_fields=["status", "entry"])
    return quote


def fx_quotes_expire() -> int:
    """Housekeeping: mark open quotes past their expiry as expired."""
    return FxQuote.objects.filter(status=FxQuote.Status.OPEN, expires_at__lte=timezone.now()).update(
        status=FxQuote.Status.EXPIRED
    )

"""Reads of the ledger that more than one caller needs."""

from decimal import Decimal

from django.db.models import BigIntegerField, Count, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from blockscore import money
from blockscore.money import from_minor_units
from wallets.models import LedgerAccount, Posting

_ZERO = Value(0, output_field=BigIntegerField())


def ledger_problems(*, limit: int = 50) -> list[str]:
    """Everything wrong with the books, named row by row (empty when they hold):

    every stored balance equals the sum of its postings; every entry has two or more
    postings that balance per currency, each in its account's currency; customer
    wallets are not negative; and the books net to zero per currency.
    """
    problems: list[str] = []
    posted = (
        Posting.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    drifted = (
        LedgerAccount.objects.annotate(posted=Coalesce(Subquery(posted), _ZERO))
        .exclude(balance_minor=F("posted"))
        .values_list("number", "currency", "balance_minor", "posted")[:limit]
    )
    problems += [
        f"account {number}: stored balance {from_minor_units(balance, cur)} but postings sum to "
        f"{from_minor_units(total, cur)}"
        for number, cur, balance, total in drifted
    ]

    unbalanced = (
        Posting.objects.order_by()
        .values("entry__public_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)[:limit]
    )
    problems += [
        f"entry {row['entry__public_id']}: {row['currency']} postings sum to "
        f"{from_minor_units(row['total'], row['currency'])}"
        for row in unbalanced
    ]

    short = Posting.objects.order_by().values("entry__public_id").annotate(n=Count("id")).filter(n__lt=2)[:limit]
    problems += [f"entry {row['entry__public_id']}: only {row['n']} posting" for row in short]

    mismatched = Posting.objects.exclude(currency=F("account__currency")).values_list(
        "pk", "currency", "account__number"
    )[:limit]
    problems += [
        f"posting {pk}: currency {cur} on account {number} of another currency" for pk, cur, number in mismatched
    ]

    negative = LedgerAccount.objects.filter(kind=LedgerAccount.Kind.CUSTOMER_WALLET, balance_minor__lt=0).values_list(
        "number", "currency", "balance_minor"
    )[:limit]
    problems += [
        f"account {number}: customer wallet below zero ({from_minor_units(balance, cur)})"
        for number, cur, balance in negative
    ]

    books = LedgerAccount.objects.order_by().values("currency").annotate(total=Sum("balance_minor")).exclude(total=0)
    problems += [
        f"books in {row['currency']} net to {from_minor_units(row['total'], row['currency'])}, not zero"
        for row in books
    ]
    return problems


def wallets_of(user):
    return LedgerAccount.objects.filter(owner=user, kind=LedgerAccount.Kind.CUSTOMER_WALLET).order_by("currency")


def fx_rates() -> list[tuple[str, str, Decimal]]:
    """Every exchange rate operations maintain: (base, quote, mid rate)."""
    from wallets.models import FxRate

    return list(FxRate.objects.values_list("base", "quote", "rate"))


def customer_balances(user_ids) -> list[tuple[int, str, Decimal]]:
    """(user id, currency, balance) of every customer wallet of these users, in one query."""
    rows = LedgerAccount.objects.filter(
        owner_id__in=list(user_ids), kind=LedgerAccount.Kind.CUSTOMER_WALLET
    ).values_list("owner_id", "currency", "balance_minor")
    return [(owner, code, money.from_minor_units(units, code)) for owner, code, units in rows]


def wallet_of(user, public_id) -> LedgerAccount:
    """The user's own wallet, or NotFound (another customer's wallet is not found either)."""
    from django.core.exceptions import ValidationError

    from blockscore.exceptions import NotFound

    try:
        return wallets_of(user).get(public_id=public_id)
    except (LedgerAccount.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound("No such wallet.") from exc


def transactions_of(user):
    return Posting.objects.filter(account__owner=user, account__kind=LedgerAccount.Kind.CUSTOMER_WALLET).select_related(
        "entry", "account"
    )


def statement(wallet: LedgerAccount, *, start, end) -> dict:
    """Opening and closing balance of ``wallet`` over [start, end), with every posting in it."""
    before = Posting.objects.filter(account=wallet, posted_at__lt=start).order_by("-posted_at", "-id").first()
    opening = before.balance_after_minor if before else 0
    postings = list(
        Posting.objects.filter(account=wallet, posted_at__gte=start, posted_at__lt=end)
        .select_related("entry", "account")
        .order_by("posted_at", "id")
    )
    total_in = sum(p.amount_minor for p in postings if p.amount_minor > 0)
    total_out = -sum(p.amount_minor for p in postings if p.amount_minor < 0)
    closing = postings[-1].balance_after_minor if postings else opening
    cur = wallet.currency
    return {
        "wallet": wallet.public_id,
        "number": wallet.number,
        "currency": cur,
        "period_start": start,
        "period_end": end,
        "opening_balance": money.format_amount(from_minor_units(opening, cur), cur),
        "closing_balance": money.format_amount(from_minor_units(closing, cur), cur),
        "total_in": money.format_amount(from_minor_units(total_in, cur), cur),
        "total_out": money.format_amount(from_minor_units(total_out, cur), cur),
        "transactions": postings,
    }


def transfer_summary(entry) -> dict:
    """The sender's view of a transfer entry (for the API answer).

    A freshly posted entry carries its postings and accounts (``entry.posted``, set by
    ``entry_post``); those of an entry found again (a replayed transfer) are read.
    """
    posted = getattr(entry, "posted", None)
    if posted is None:
        posted = [(posting, posting.account) for posting in entry.postings.select_related("account")]
    out, source = next((p, account) for p, account in posted if p.amount_minor < 0)
    into, destination = next((p, account) for p, account in posted if p.amount_minor > 0)
    currency = source.currency
    return {
        "entry": entry,
        "source": source,
        "destination": destination,
        "amount": money.format_amount(into.amount, currency),
        "balance_after": money.format_amount(out.balance_after, currency),
    }

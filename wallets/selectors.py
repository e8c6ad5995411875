"""Reads of the ledger that more than one caller needs."""

from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from wallets.models import LedgerAccount, Posting

_ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=30, decimal_places=8))


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
        .annotate(total=Sum("amount"))
        .values("total")
    )
    drifted = (
        LedgerAccount.objects.annotate(posted=Coalesce(Subquery(posted), _ZERO))
        .exclude(balance=F("posted"))
        .values_list("number", "balance", "posted")[:limit]
    )
    problems += [
        f"account {number}: stored balance {balance} but postings sum to {total}" for number, balance, total in drifted
    ]

    unbalanced = (
        Posting.objects.order_by()
        .values("entry__public_id", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)[:limit]
    )
    problems += [
        f"entry {row['entry__public_id']}: {row['currency']} postings sum to {row['total']}" for row in unbalanced
    ]

    short = Posting.objects.order_by().values("entry__public_id").annotate(n=Count("id")).filter(n__lt=2)[:limit]
    problems += [f"entry {row['entry__public_id']}: only {row['n']} posting" for row in short]

    mismatched = Posting.objects.exclude(currency=F("account__currency")).values_list(
        "pk", "currency", "account__number"
    )[:limit]
    problems += [
        f"posting {pk}: currency {cur} on account {number} of another currency" for pk, cur, number in mismatched
    ]

    negative = LedgerAccount.objects.filter(kind=LedgerAccount.Kind.CUSTOMER_WALLET, balance__lt=0).values_list(
        "number", "balance"
    )[:limit]
    problems += [f"account {number}: customer wallet below zero ({balance})" for number, balance in negative]

    books = LedgerAccount.objects.order_by().values("currency").annotate(total=Sum("balance")).exclude(total=0)
    problems += [f"books in {row['currency']} net to {row['total']}, not zero" for row in books]
    return problems

"""The daily transfer total kept on the wallet: what the daily limit reads instead of a SUM."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from wallets import exceptions
from wallets.models import JournalEntry, LedgerAccount, Posting
from wallets.services import Line, entry_post, system_account, transfer_create
from wallets.tests.factories import funded_wallet

D = Decimal
pytestmark = pytest.mark.django_db


def sent_today_by_postings(wallet) -> int:
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    total = Posting.objects.filter(
        account=wallet, amount_minor__lt=0, posted_at__gte=start, entry__kind=JournalEntry.Kind.TRANSFER
    ).aggregate(total=Sum("amount_minor"))["total"]
    return -(total or 0)


def test_the_total_is_the_sum_of_the_days_transfers_out_and_nothing_else():
    wallet, other = funded_wallet("100.00"), funded_wallet("100.00")

    transfer_create(sender=wallet.owner, currency="USD", amount=D("10.00"), to_account=other.number)
    transfer_create(sender=wallet.owner, currency="USD", amount=D("2.50"), to_account=other.number)
    transfer_create(sender=other.owner, currency="USD", amount=D("7.00"), to_account=wallet.number)  # money in
    clearing = system_account(LedgerAccount.Kind.CLEARING, "USD", rail="bank_transfer")
    entry_post(kind=JournalEntry.Kind.WITHDRAWAL, lines=[Line(wallet, D("-1.00")), Line(clearing, D("1.00"))])

    wallet.refresh_from_db()
    assert (wallet.transfers_out_day, wallet.transfers_out_minor) == (timezone.localdate(), 1250)
    assert wallet.transfers_out_minor == sent_today_by_postings(wallet)
    other.refresh_from_db()
    assert other.transfers_out_minor == sent_today_by_postings(other) == 700


def test_a_new_day_starts_from_zero():
    wallet, other = funded_wallet("200.00"), funded_wallet("0")
    yesterday = timezone.localdate() - timedelta(days=1)
    LedgerAccount.objects.filter(pk=wallet.pk).update(transfers_out_day=yesterday, transfers_out_minor=8000)

    transfer_create(sender=wallet.owner, currency="USD", amount=D("50.00"), to_account=other.number)

    wallet.refresh_from_db()
    assert (wallet.transfers_out_day, wallet.transfers_out_minor) == (timezone.localdate(), 5000)


@override_settings(TRANSFER_LIMITS={"USD": ("50", "80")})
def test_the_daily_limit_counts_what_was_sent_today():
    wallet, other = funded_wallet("200.00"), funded_wallet("0")
    LedgerAccount.objects.filter(pk=wallet.pk).update(transfers_out_day=timezone.localdate(), transfers_out_minor=7000)

    with pytest.raises(exceptions.LimitExceeded, match="a day"):
        transfer_create(sender=wallet.owner, currency="USD", amount=D("10.01"), to_account=other.number)
    transfer_create(sender=wallet.owner, currency="USD", amount=D("10.00"), to_account=other.number)

    wallet.refresh_from_db()
    assert wallet.transfers_out_minor == 8000

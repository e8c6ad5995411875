"""Fill today's transfer totals from the postings (the daily limit reads them from now on)."""

from datetime import datetime, time

from django.db import migrations
from django.db.models import Sum
from django.utils import timezone


def backfill(apps, schema_editor):
    LedgerAccount = apps.get_model("wallets", "LedgerAccount")
    Posting = apps.get_model("wallets", "Posting")
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min), timezone.get_current_timezone())
    totals = (
        Posting.objects.filter(
            amount_minor__lt=0, posted_at__gte=start, entry__kind="transfer", account__kind="customer_wallet"
        )
        .values("account_id")
        .annotate(total=Sum("amount_minor"))
    )
    for row in totals:
        LedgerAccount.objects.filter(pk=row["account_id"]).update(
            transfers_out_day=today, transfers_out_minor=-row["total"]
        )


class Migration(migrations.Migration):
    dependencies = [("wallets", "0015_transfer_daily_total")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

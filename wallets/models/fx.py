"""Foreign exchange: rates kept by operations, quotes a customer can execute once.

A rate is the mid-market price of one unit of ``base`` in ``quote`` currency, set in the
console. A quote fixes, for a short time, the customer rate (mid less the spread) and
both amounts; executing it posts one entry that balances in each currency through the
FX position accounts. Rounding: the amount the customer receives is rounded down to its
currency's minor unit (ROUND_DOWN), never in the customer's favour beyond the quoted
rate, and the quote shows the exact figures before execution.
"""

import uuid

from django.conf import settings
from django.db import models

from blockscore import money
from wallets.models.ledger import CURRENCY_CHOICES, JournalEntry


class FxRate(models.Model):
    base = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    quote = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    rate = models.DecimalField(max_digits=24, decimal_places=10, help_text="Units of quote per one unit of base (mid).")
    spread_bps = models.PositiveIntegerField(default=50, help_text="Spread taken from the customer rate, in 1/100 %.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["base", "quote"]
        verbose_name = "FX rate"
        constraints = [
            models.UniqueConstraint(fields=["base", "quote"], name="wallets_fx_one_rate_per_pair"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="wallets_fx_rate_positive"),
            models.CheckConstraint(condition=~models.Q(base=models.F("quote")), name="wallets_fx_distinct_currencies"),
            models.CheckConstraint(condition=models.Q(spread_bps__lt=10000), name="wallets_fx_spread_below_100pct"),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote}"


class FxQuote(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXECUTED = "executed", "Executed"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fx_quotes")
    sell_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    buy_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    sell_amount_minor = models.BigIntegerField()
    buy_amount_minor = models.BigIntegerField()
    customer_rate = models.DecimalField(max_digits=24, decimal_places=10, help_text="buy per one sell, after spread.")
    mid_rate = models.DecimalField(max_digits=24, decimal_places=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "FX quote"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sell_amount_minor__gt=0, buy_amount_minor__gt=0), name="wallets_fx_quote_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sell_amount} {self.sell_currency} -> {self.buy_amount} {self.buy_currency} ({self.status})"

    @property
    def sell_amount(self):
        return money.from_minor_units(self.sell_amount_minor, self.sell_currency)

    @property
    def buy_amount(self):
        return money.from_minor_units(self.buy_amount_minor, self.buy_currency)

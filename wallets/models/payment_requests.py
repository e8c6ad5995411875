"""Payment requests: a customer asks for money with a payment URI and its QR code.

A request names the requester's currency and, optionally, the amount (otherwise the
payer chooses it). Any authenticated customer who has the link may view an open request
and pay it once, from their own wallet in that currency, into the requester's wallet
(one ``payment`` journal entry). Paying moves ``status`` from open to paid under the
request's row lock, so a request is paid at most once. Creation, views and payments are
logged as ``QrLog`` rows (who, when, from which address) for the staff console.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from blockscore import money
from wallets.models.ledger import CURRENCY_CHOICES, JournalEntry, LedgerAccount


class PaymentRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    wallet = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="payment_requests")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField(null=True, blank=True, help_text="Null: the payer chooses the amount.")
    memo = models.CharField(max_length=280, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__isnull=True) | models.Q(amount_minor__gt=0),
                name="wallets_payment_request_positive",
            )
        ]

    def __str__(self) -> str:
        return f"Payment request {self.public_id} ({self.status})"

    @property
    def amount(self):
        return None if self.amount_minor is None else money.from_minor_units(self.amount_minor, self.currency)

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.OPEN and self.expires_at <= timezone.now()


class QrLog(models.Model):
    class Action(models.TextChoices):
        CREATED = "created", "Created"
        VIEWED = "viewed", "Viewed"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    request = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="logs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "QR log"

    def __str__(self) -> str:
        return f"{self.action} {self.request_id} at {self.created_at:%Y-%m-%d %H:%M}"

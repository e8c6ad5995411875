"""Money in and out through payment rails: deposits and withdrawals.

A deposit is credited to the wallet only when the rail confirms it (operations confirm a
bank transfer's receipt; Lightning reports the invoice paid), by one journal entry from
the rail's clearing account. A withdrawal first holds the funds on the wallet
(``LedgerAccount.held_minor``), then either posts wallet → clearing when the rail
confirms it was sent, or releases the hold when it failed. Each status change is a
transition in wallets.services.rails (bank) or wallets.services.lightning, recorded with
who, when and why.

Lightning amounts are BTC, whose minor unit is the satoshi: ``amount_minor`` is sats.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models

from blockscore import money
from wallets.models.ledger import CURRENCY_CHOICES, JournalEntry, LedgerAccount


class Rail(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    LIGHTNING = "lightning", "Lightning"


def new_deposit_reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: references are typed by people
    return "BS-" + "".join(secrets.choice(alphabet) for _ in range(10))


class Deposit(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting funds"
        COMPLETED = "completed", "Credited"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wallet = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="deposits")
    rail = models.CharField(max_length=20, choices=Rail.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField(help_text="Expected amount in minor units.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reference = models.CharField(max_length=20, unique=True, default=new_deposit_reference)
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=280, blank=True)
    # Lightning: the invoice the customer pays (BOLT11), its hash and when it expires.
    payment_hash = models.CharField(max_length=64, blank=True, default="")
    payment_request = models.TextField(blank=True, default="", help_text="The BOLT11 invoice (Lightning).")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("confirm_deposit", "Can confirm or cancel deposits")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="wallets_deposit_positive"),
            models.UniqueConstraint(
                fields=["payment_hash"], condition=~models.Q(payment_hash=""), name="wallets_deposit_payment_hash"
            ),
        ]

    def __str__(self) -> str:
        return f"Deposit {self.reference} {self.amount} {self.currency} ({self.status})"

    @property
    def amount(self):
        return money.from_minor_units(self.amount_minor, self.currency)


class Withdrawal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Funds held, awaiting payout"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, funds released"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wallet = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="withdrawals")
    rail = models.CharField(max_length=20, choices=Rail.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField(help_text="Amount held and paid out, in minor units.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    beneficiary_name = models.CharField(max_length=140, blank=True)
    beneficiary_account = models.CharField(max_length=64, blank=True, help_text="IBAN or account number.")
    beneficiary_bank = models.CharField(max_length=140, blank=True)
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=280, blank=True)
    # Lightning: the invoice paid (BOLT11) and what the payment cost. The hold covers the
    # amount plus a routing-fee reserve; the customer is charged the fee actually paid.
    payment_hash = models.CharField(max_length=64, blank=True, default="")
    payment_request = models.TextField(blank=True, default="", help_text="The BOLT11 invoice paid (Lightning).")
    fee_reserve_minor = models.BigIntegerField(default=0, help_text="Held on top of the amount for routing fees.")
    fee_minor = models.BigIntegerField(default=0, help_text="Routing fee charged, in minor units.")
    preimage = models.CharField(max_length=64, blank=True, default="", help_text="Proof of payment (Lightning).")
    attempted_at = models.DateTimeField(null=True, blank=True, help_text="When the payment was first sent to the rail.")

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("decide_withdrawal", "Can mark payouts sent or failed")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="wallets_withdrawal_positive"),
            models.CheckConstraint(
                condition=models.Q(fee_reserve_minor__gte=0, fee_minor__gte=0), name="wallets_withdrawal_fees"
            ),
            # One live payout per invoice: LNbits answers a second payment of an invoice
            # with the first, which must not settle two withdrawals.
            models.UniqueConstraint(
                fields=["payment_hash"],
                condition=~models.Q(payment_hash="") & ~models.Q(status="failed"),
                name="wallets_withdrawal_payment_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"Withdrawal {self.public_id} {self.amount} {self.currency} ({self.status})"

    @property
    def amount(self):
        return money.from_minor_units(self.amount_minor, self.currency)

    @property
    def fee(self):
        return money.from_minor_units(self.fee_minor, self.currency)

    @property
    def held(self):
        """What the withdrawal holds on the wallet while pending: amount and fee reserve."""
        return money.from_minor_units(self.amount_minor + self.fee_reserve_minor, self.currency)

"""Manual corrections of the books, under maker-checker.

One staff member proposes (a manual adjustment between an account and the suspense
account, or the reversal of a posted entry) with a reason; a different staff member
approves or rejects it. Only an approval posts, through the ledger services, in the
same transaction as the decision. Both steps are audited with who, when and why.
"""

import uuid

from django.conf import settings
from django.db import models

from blockscore import money
from wallets.models.ledger import JournalEntry, LedgerAccount


class Adjustment(models.Model):
    class Kind(models.TextChoices):
        ADJUSTMENT = "adjustment", "Manual adjustment (against suspense)"
        REVERSAL = "reversal", "Reversal of a posted entry"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Awaiting a second approver"
        APPROVED = "approved", "Approved and posted"
        REJECTED = "rejected", "Rejected"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    account = models.ForeignKey(
        LedgerAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Adjustment: the account to correct (the suspense account takes the other side).",
    )
    amount_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Adjustment: signed change to the account, in minor units."
    )
    entry_to_reverse = models.ForeignKey(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=280)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=280, blank=True)
    posted_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-proposed_at", "-id"]
        permissions = [
            ("propose_adjustment", "Can propose manual adjustments and reversals"),
            ("approve_adjustment", "Can approve or reject another person's adjustment"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="adjustment",
                        account__isnull=False,
                        amount_minor__isnull=False,
                        entry_to_reverse__isnull=True,
                    )
                    & ~models.Q(amount_minor=0)
                )
                | models.Q(
                    kind="reversal", entry_to_reverse__isnull=False, account__isnull=True, amount_minor__isnull=True
                ),
                name="wallets_adjustment_shape",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"

    @property
    def amount(self):
        if self.amount_minor is None or self.account_id is None:
            return None
        return money.from_minor_units(self.amount_minor, self.account.currency)

"""Cases: where screening hits and monitoring alerts are investigated and decided."""

import uuid

from django.conf import settings
from django.db import models


class Case(models.Model):
    class Kind(models.TextChoices):
        SCREENING = "screening", "Sanctions screening hit"
        MONITORING = "monitoring", "Transaction monitoring alert"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        CLOSED_FALSE_POSITIVE = "closed_false_positive", "Closed: false positive"
        CLOSED_CONFIRMED = "closed_confirmed", "Closed: confirmed (wallets frozen)"
        ESCALATED = "escalated", "Escalated (report filed)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="compliance_cases")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN, db_index=True)
    summary = models.CharField(max_length=500)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["opened_at", "id"]
        permissions = [("decide_case", "Can investigate, close and escalate cases")]

    def __str__(self) -> str:
        return f"Case {str(self.public_id)[:8]} {self.get_kind_display()} ({self.get_status_display()})"


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.case_id} by {self.author_id}"

"""Screening a customer against the current lists: one result per run, hits above the threshold."""

from django.conf import settings
from django.db import models


class ScreeningResult(models.Model):
    class Trigger(models.TextChoices):
        KYC_SUBMISSION = "kyc_submission", "KYC submission"
        PROFILE_CHANGE = "profile_change", "Name or date of birth changed"
        LIST_UPDATE = "list_update", "New list version"
        WEEKLY = "weekly", "Weekly rescan"
        MANUAL = "manual", "Asked by staff"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="screening_results")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    screened_name = models.CharField(max_length=300)
    screened_dob = models.CharField(max_length=10, blank=True)
    screened_country = models.CharField(max_length=2, blank=True)
    data_hash = models.CharField(max_length=64, help_text="sha256 of the customer data screened.")
    list_versions = models.JSONField(default=dict, help_text="Source → WatchlistVersion id screened against.")
    algorithm_version = models.CharField(max_length=32)
    threshold = models.DecimalField(max_digits=5, decimal_places=4)
    hit_count = models.PositiveIntegerField(default=0)
    screened_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-screened_at", "-id"]
        indexes = [models.Index(fields=["user", "-screened_at"], name="compliance_screening_of_user")]

    def __str__(self) -> str:
        return f"{self.user_id} screened {self.screened_at:%Y-%m-%d} ({self.hit_count} hits)"


class ScreeningHit(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed (not the same person)"
        CONFIRMED = "confirmed", "Confirmed match"
        SUPPRESSED = "suppressed", "Dismissed before for the same data"

    result = models.ForeignKey(ScreeningResult, on_delete=models.CASCADE, related_name="hits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="screening_hits")
    entry = models.ForeignKey("compliance.WatchlistEntry", on_delete=models.PROTECT, related_name="hits")
    list_source = models.CharField(max_length=8)
    list_id = models.CharField(max_length=32)
    matched_name = models.CharField(max_length=500)
    score = models.DecimalField(max_digits=5, decimal_places=4)
    explanation = models.JSONField(
        default=dict, help_text="What agreed or conflicted: name tokens, date of birth, country."
    )
    data_hash = models.CharField(max_length=64, help_text="The customer data this hit was raised on.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    case = models.ForeignKey("compliance.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="hits")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "-id"]
        indexes = [models.Index(fields=["user", "list_source", "list_id", "data_hash"], name="compliance_hit_identity")]

    def __str__(self) -> str:
        return f"{self.user_id} ~ {self.matched_name} ({self.score})"

"""Transaction monitoring: rules are data (versioned), alerts are what they found."""

from django.conf import settings
from django.db import models


class MonitoringRule(models.Model):
    class Code(models.TextChoices):
        LARGE_TRANSACTION = "large_transaction", "Large transaction"
        STRUCTURING = "structuring", "Structuring (several just under the threshold)"
        VELOCITY = "velocity", "Velocity far above the customer's norm"
        RAPID_MOVEMENT = "rapid_movement", "Funds in and out within an hour"
        HIGH_RISK_COUNTRY = "high_risk_country", "High-risk-country counterparty"

    code = models.CharField(max_length=24, choices=Code.choices)
    version = models.PositiveSmallIntegerField(default=1)
    active = models.BooleanField(default=True)
    parameters = models.JSONField(default=dict, help_text="Thresholds (per currency where they are amounts).")
    description = models.CharField(max_length=280, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="compliance_rule_version"),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(active=True), name="compliance_one_active_rule"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class MonitoringAlert(models.Model):
    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="alerts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="monitoring_alerts")
    entry = models.ForeignKey("wallets.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    details = models.JSONField(default=dict, help_text="What the rule saw: amounts, counts, window, entries.")
    case = models.ForeignKey(
        "compliance.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="monitoring_alerts"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The on-commit run and the daily batch may both see an entry: one alert per rule code.
            models.UniqueConstraint(fields=["rule", "user", "entry"], name="compliance_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} for {self.user_id}"

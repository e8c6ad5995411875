"""Customer risk rating: low / medium / high, with the factors that made it."""

from django.conf import settings
from django.db import models


class CustomerRisk(models.Model):
    class Level(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High (enhanced due diligence)"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="risk_rating")
    level = models.CharField(max_length=8, choices=Level.choices, db_index=True)
    score = models.PositiveSmallIntegerField(help_text="0-100; the level's thresholds are in compliance.risk.")
    factors = models.JSONField(default=list, help_text="Each factor with its points and why.")
    enhanced_due_diligence = models.BooleanField(default=False)
    updated_at = models.DateTimeField()
    trigger = models.CharField(max_length=32, help_text="What caused the last recalculation.")

    class Meta:
        ordering = ["-score", "user_id"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.level}"

"""Sanctions lists as imported: each import of a source is a new version of the list."""

from django.conf import settings
from django.db import models


class WatchlistSource(models.TextChoices):
    OFAC = "ofac", "OFAC SDN (US Treasury)"
    UN = "un", "UN Security Council consolidated list"


class WatchlistVersion(models.Model):
    source = models.CharField(max_length=8, choices=WatchlistSource.choices, db_index=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    origin = models.CharField(max_length=500, help_text="The path or URL it was read from.")
    published_at = models.DateTimeField(null=True, blank=True, help_text="When the list's publisher generated it.")
    checksum = models.CharField(max_length=64, help_text="sha256 over the files read.")
    counts = models.JSONField(default=dict, help_text="Entries by type, aliases, addresses...")
    added = models.JSONField(default=list, help_text="List ids added since the previous version.")
    removed = models.JSONField(default=list, help_text="List ids removed since the previous version.")

    class Meta:
        ordering = ["-imported_at", "-id"]
        indexes = [models.Index(fields=["source", "-imported_at"], name="compliance_list_latest")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.pk} ({self.imported_at:%Y-%m-%d})"


class WatchlistEntry(models.Model):
    class EntityType(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        ENTITY = "entity", "Entity"
        VESSEL = "vessel", "Vessel"
        AIRCRAFT = "aircraft", "Aircraft"

    version = models.ForeignKey(WatchlistVersion, on_delete=models.CASCADE, related_name="entries")
    list_id = models.CharField(max_length=32, help_text="The list's own id: OFAC ent_num, UN DATAID.")
    entity_type = models.CharField(max_length=10, choices=EntityType.choices)
    name = models.CharField(max_length=500)
    aliases = models.JSONField(default=list)
    dates_of_birth = models.JSONField(default=list, help_text="ISO dates or years, as the list gives them.")
    nationalities = models.JSONField(default=list)
    countries = models.JSONField(default=list, help_text="Countries of addresses, citizenship or birth.")
    programmes = models.JSONField(default=list)
    remarks = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "list_id"]
        constraints = [models.UniqueConstraint(fields=["version", "list_id"], name="compliance_entry_once_per_version")]

    def __str__(self) -> str:
        return f"{self.name} ({self.list_id})"

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobRun(models.Model):
    """One run of a scheduled job: when, how it ended, what it did."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=100, db_index=True)
    task_id = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "job run"

    def __str__(self) -> str:
        return f"{self.name} at {self.started_at:%Y-%m-%d %H:%M:%S} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class IdempotencyRecord(models.Model):
    """One Idempotency-Key of one user: the request it was first used for and its answer.

    Written once, with the answer, in the same transaction as the effect of that request
    (see ``blockscore.idempotency``), so a committed record is always ``completed`` and
    its response is exactly what the client was (or would have been) sent. A request
    still running holds its key with a lock, not a row; ``in_progress`` is not written.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    # Not indexed alone: the unique (user, key) index starts with user. No database
    # constraint: its check would lock the user's row in every money request; records go
    # with their user through Django's cascade, and expire within a day anyway.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="idempotency_records",
        db_index=False,
        db_constraint=False,
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2048)
    request_hash = models.CharField(max_length=64, help_text="sha256 of method, path, query and canonical JSON body.")
    state = models.CharField(max_length=11, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The rendered body as sent (JSON text), so a replay is byte-identical: a jsonb
    # column would reorder keys and normalise numbers.
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_record_user_key_unique"),
            models.CheckConstraint(
                condition=models.Q(state="in_progress") | models.Q(response_status__isnull=False),
                name="idempotency_record_completed_has_response",
            ),
        ]
        verbose_name = "idempotency record"

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path}, {self.state})"

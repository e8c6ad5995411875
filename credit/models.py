"""Credit scoring: models (the scorecards), the survey, score history, alerts and milestones.

A scorecard is a versioned artifact file (credit/artifacts/<version>.json) produced by
``manage.py train_scoring_model``; ``ScoringModel`` registers it with its metrics and
fairness report. Exactly one model is the champion (customers' scores come from it);
challengers shadow-score without affecting anyone.
"""

import uuid

from django.conf import settings
from django.db import models


class ScoringModel(models.Model):
    class Status(models.TextChoices):
        CHAMPION = "champion", "Champion (scores customers)"
        CHALLENGER = "challenger", "Challenger (shadow scoring)"
        RETIRED = "retired", "Retired"

    version = models.CharField(max_length=64, unique=True)
    artifact_path = models.CharField(max_length=255, help_text="Relative to the project folder.")
    artifact_sha256 = models.CharField(max_length=64, help_text="Hash of the artifact file as registered.")
    training_data_sha256 = models.CharField(max_length=64)
    trained_at = models.DateTimeField()
    metrics = models.JSONField(default=dict, help_text="Cross-validated AUC, KS and Gini, with their spread.")
    fairness = models.JSONField(default=dict, help_text="Approval rates and adverse impact ratios by group.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CHALLENGER, db_index=True)
    registered_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-registered_at", "-id"]
        permissions = [("activate_scoringmodel", "Can make a scoring model the champion")]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="champion"), name="credit_one_champion_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"


class SurveyQuestion(models.Model):
    class AnswerType(models.TextChoices):
        CHOICE = "choice", "One of the options"
        INTEGER = "integer", "A whole number"

    key = models.SlugField(max_length=64, help_text="Stable key; a new wording is a new version.")
    version = models.PositiveSmallIntegerField(default=1)
    text = models.CharField(max_length=280)
    help_text = models.CharField(max_length=280, blank=True)
    answer_type = models.CharField(max_length=10, choices=AnswerType.choices)
    options = models.JSONField(
        default=list, blank=True, help_text='Choice questions: [{"value": "...", "label": "..."}], in display order.'
    )
    min_value = models.IntegerField(null=True, blank=True)
    max_value = models.IntegerField(null=True, blank=True)
    feature = models.CharField(max_length=64, help_text="The model input this answer feeds.")
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="credit_question_key_version"),
            models.UniqueConstraint(fields=["key"], condition=models.Q(active=True), name="credit_one_active_version"),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class SurveyAnswer(models.Model):
    """One answer; a new answer to the same question supersedes the old one (history kept)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    key = models.SlugField(max_length=64, help_text="The question's key (answers survive new versions).")
    value = models.CharField(max_length=64)
    answered_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=models.Q(superseded_at__isnull=True), name="credit_one_current_answer"
            )
        ]
        indexes = [models.Index(fields=["user", "key", "-answered_at"], name="credit_answer_history")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}={self.value}"


class Band(models.TextChoices):
    POOR = "poor", "Poor"
    FAIR = "fair", "Fair"
    GOOD = "good", "Good"
    VERY_GOOD = "very_good", "Very good"
    EXCEPTIONAL = "exceptional", "Exceptional"


BAND_ORDER = [Band.POOR, Band.FAIR, Band.GOOD, Band.VERY_GOOD, Band.EXCEPTIONAL]


class CreditScore(models.Model):
    """One computed score: the score history."""

    class Trigger(models.TextChoices):
        ON_DEMAND = "on_demand", "On demand"
        REFRESH = "refresh", "Refresh asked by the customer"
        NIGHTLY = "nightly", "Nightly rescoring"
        APPLICATION = "application", "Loan application"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed by credit_score_history (user first): a second index would only slow inserts.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_scores", db_index=False
    )
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=12, choices=Band.choices)
    pd = models.DecimalField(max_digits=7, decimal_places=6, help_text="Probability of default.")
    reason_codes = models.JSONField(default=list, help_text="Up to four, the costliest first.")
    inputs = models.JSONField(default=dict, help_text="The model inputs used, with where each came from.")
    inputs_hash = models.CharField(max_length=64)
    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    computed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["user", "-computed_at", "-id"], name="credit_score_history")]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=300, score__lte=850), name="credit_score_range")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.score} ({self.band})"


class ScoreAlert(models.Model):
    class Kind(models.TextChoices):
        BAND_UP = "band_up", "Moved up a band"
        BAND_DOWN = "band_down", "Moved down a band"
        POINTS_UP = "points_up", "Score rose 20 points or more"
        POINTS_DOWN = "points_down", "Score fell 20 points or more"
        MILESTONE = "milestone", "Reached a better band for the first time"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_alerts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    score = models.ForeignKey(CreditScore, on_delete=models.CASCADE, related_name="alerts")
    previous_score = models.ForeignKey(CreditScore, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(max_length=280)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="credit_alerts_of_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class ScoreMilestone(models.Model):
    """The first time a customer reached a band (above poor)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_milestones")
    band = models.CharField(max_length=12, choices=Band.choices)
    score = models.ForeignKey(CreditScore, on_delete=models.PROTECT, related_name="+")
    reached_at = models.DateTimeField()

    class Meta:
        ordering = ["-reached_at"]
        constraints = [models.UniqueConstraint(fields=["user", "band"], name="credit_milestone_once")]

    def __str__(self) -> str:
        return f"{self.user_id} reached {self.band}"


class ScoreAttestation(models.Model):
    """A score's digest written on chain, so a lender or the customer can later prove the
    score existed, unchanged, at that time (see credit/services/attestations.py).

    The digest is sha256 over a pseudonymous customer id, the score, the model version and
    the time it was computed: nothing personal goes on chain. One attestation per score.
    pending → submitted (transaction sent, ``tx_hash`` known) → confirmed (mined: ``block_number``),
    or failed (``error`` says why; asking again retries).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUBMITTED = "submitted", "Submitted"
        CONFIRMED = "confirmed", "Confirmed"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    score = models.ForeignKey(CreditScore, on_delete=models.CASCADE, related_name="attestations")
    subject = models.CharField(max_length=64, help_text="The customer's pseudonym (keyed HMAC of their public id).")
    digest = models.CharField(max_length=64, unique=True, help_text="sha256 hex of the attested inputs.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    chain_id = models.BigIntegerField(null=True, blank=True)
    contract_address = models.CharField(max_length=42, blank=True)
    tx_hash = models.CharField(max_length=66, blank=True)
    block_number = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["score"], name="credit_one_attestation_per_score")]

    def __str__(self) -> str:
        return f"attestation of score {self.score_id} ({self.status})"

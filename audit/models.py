"""The append-only, hash-chained audit log and the security event log.

Invariants:

- ``AuditEvent`` rows are never updated or deleted. On PostgreSQL a trigger installed
  by migration 0003 refuses UPDATE and DELETE; the admin and the API are read-only.
- Each event's ``hash`` is sha256 over ``prev_hash`` followed by the canonical JSON of
  its content (see ``audit.chain.chain_hash``), and ``prev_hash`` is the hash of the event
  with the previous ``sequence``. Whoever chains takes the ``AuditChainHead`` row lock, so
  concurrent writers still produce one linear chain with no gaps.
- An event is chained when it is written (``audit_event_record``), or, on the hot paths
  (the ledger), it is written unchained in the caller's transaction and chained right
  after that transaction commits (``audit_event_append``, ``audit_chain_extend``): its
  ``sequence``, ``prev_hash`` and ``hash`` are then NULL for a moment. Those three fields
  are filled exactly once; on PostgreSQL the append-only trigger allows that one update
  (and nothing else: the content can never change).
- Changing any stored field, or removing a row, breaks the chain at that point, which
  ``manage.py verify_audit_chain`` names.

Actors are referenced without a database constraint: the record outlives the user.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.events import SECURITY_EVENT_TYPES

GENESIS_HASH = "0" * 64


class AuditChainHead(models.Model):
    """A single row: the last sequence number and hash. Locked by every writer."""

    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "audit chain head"


class AuditEvent(models.Model):
    # NULL until the event is chained (see the module docstring).
    sequence = models.BigIntegerField(unique=True, null=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_repr = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    prev_hash = models.CharField(max_length=64, null=True)
    hash = models.CharField(max_length=64, null=True)

    class Meta:
        ordering = ["-sequence"]
        # Every ledger entry writes an event and chains it: only the indexes that lookups
        # use (plain btrees: no pattern-matching copies, which no search here could use).
        indexes = [
            models.Index(fields=["action"], name="audit_event_action"),
            # Partial: events written outside a request (jobs, the ledger's own callers)
            # have none, and a lookup by request id always names one.
            models.Index(fields=["request_id"], condition=~Q(request_id=""), name="audit_event_request_id"),
            models.Index(fields=["target_type", "target_id", "sequence"]),
            # The events still waiting to be chained: a handful at any moment.
            models.Index(fields=["id"], condition=Q(hash__isnull=True), name="audit_event_unchained"),
        ]
        # Partial: an event is written unchained (NULL hash) and chained later; the NULL
        # needs no index entry.
        constraints = [
            models.UniqueConstraint(fields=["hash"], condition=Q(hash__isnull=False), name="audit_event_hash_unique")
        ]

    def __str__(self) -> str:
        number = f"#{self.sequence}" if self.sequence is not None else "(chaining)"
        return f"{number} {self.action} by {self.actor_repr or 'system'}"


class SecurityEvent(models.Model):
    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"
        INFO = "info", "Info"

    EVENT_TYPE_CHOICES = [(name, name.replace("_", " ")) for name in SECURITY_EVENT_TYPES]

    created_at = models.DateTimeField(db_index=True, editable=False)
    event_type = models.CharField(max_length=50, choices=EVENT_TYPE_CHOICES, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    email = models.CharField(max_length=254, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.severity}) {self.email}"


class ContractDeployment(models.Model):
    """Where a contract of ``contracts/`` was deployed, one row per deployment (``deploy_contract``).

    It lives in audit, the lowest app that uses the chain: the audit chain's anchoring
    (audit) and score attestations (credit, above it) both look their contract up here.
    The latest row for a name and chain is the one in use (unless BLOCKCHAIN_CONTRACT_ADDRESS
    says otherwise). The in-process development chain is never recorded: it dies with its
    process.
    """

    name = models.CharField(max_length=64, help_text="The contract, e.g. ScoreAttestations.")
    chain_id = models.BigIntegerField(db_index=True)
    address = models.CharField(max_length=42)
    tx_hash = models.CharField(max_length=66, help_text="The deployment transaction.")
    block_number = models.BigIntegerField()
    owner = models.CharField(max_length=42, help_text="The deploying account: the only one that may write.")
    compiler = models.CharField(max_length=32)
    source_sha256 = models.CharField(max_length=64, help_text="Hash of the contract source as deployed.")
    deployed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-deployed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["chain_id", "address"], name="audit_contract_once_per_chain")]

    def __str__(self) -> str:
        return f"{self.name} at {self.address} (chain {self.chain_id})"

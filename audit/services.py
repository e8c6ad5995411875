"""Writing the audit trail.

``audit_event_record`` appends one event to the chain inside the caller's transaction:
if the action rolls back, so does its record. It locks the chain head, so concurrent
writers are serialised into one linear chain. Secrets never enter a record: keys that
look like credentials are redacted before hashing.
"""

import re
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from audit import chain
from audit.events import AUDIT_ACTIONS, SECURITY_EVENT_TYPES
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, SecurityEvent
from blockscore import metrics, request_context

_SECRET_KEY_RE = re.compile(r"password|secret|token|otp|backup_code|private_key|api_key|_hash$|^pin$", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(value):
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEY_RE.search(str(key)) else redact(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _target_identity(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    meta = target._meta
    ident = getattr(target, "public_id", None) or target.pk
    return f"{meta.app_label}.{meta.model_name}", str(ident)


def audit_event_record(
    *,
    action: str,
    actor=None,
    target=None,
    target_type: str = "",
    target_id: str = "",
    changes: dict | None = None,
    metadata: dict | None = None,
) -> AuditEvent:
    """Append an event to the audit chain, in the caller's transaction.

    ``changes`` is ``{"field": {"before": ..., "after": ...}}`` (or any JSON-able dict).
    """
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"Unregistered audit action {action!r}")
    if target is not None:
        target_type, target_id = _target_identity(target)
    context = request_context.current()
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        sequence = head.sequence + 1
        fields = {
            "sequence": sequence,
            "occurred_at": timezone.now(),
            "actor_id": actor.pk if actor else None,
            "actor_repr": actor.get_username() if actor else "",
            "action": action,
            "target_type": target_type,
            "target_id": str(target_id),
            "changes": chain.normalise(redact(changes or {})),
            "metadata": chain.normalise(redact(metadata or {})),
            "ip": context.ip,
            "user_agent": context.user_agent[:512],
            "request_id": context.request_id,
        }
        digest = chain.chain_hash(head.hash, chain.event_content(**fields))
        event = AuditEvent.objects.create(prev_hash=head.hash, hash=digest, **fields)
        head.sequence, head.hash = sequence, digest
        head.save(update_fields=["sequence", "hash"])
    return event


def security_event_record(*, event_type: str, user=None, email: str = "", details: dict | None = None) -> SecurityEvent:
    if event_type not in SECURITY_EVENT_TYPES:
        raise ValueError(f"Unknown security event type {event_type!r}")
    context = request_context.current()
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    event = SecurityEvent.objects.create(
        created_at=timezone.now(),
        event_type=event_type,
        severity=SECURITY_EVENT_TYPES[event_type],
        user=user,
        email=(email or (user.get_username() if user else ""))[:254],
        ip=context.ip,
        user_agent=context.user_agent[:512],
        request_id=context.request_id,
        details=chain.normalise(redact(details or {})),
    )
    metrics.SECURITY_EVENTS.labels(event_type).inc()
    return event


class ChainBreak:
    def __init__(self, sequence: int, event_id: int | None, reason: str):
        self.sequence, self.event_id, self.reason = sequence, event_id, reason

    def __str__(self) -> str:
        return f"sequence {self.sequence} (id {self.event_id}): {self.reason}"


def audit_chain_verify(*, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return how many events were checked and the first break."""
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    for event in _iter_events(batch_size):
        if event.sequence != expected_sequence:
            return checked, ChainBreak(expected_sequence, None, f"missing event (next found is {event.sequence})")
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(event.sequence, event.pk, "prev_hash does not match the previous event's hash")
        if chain.chain_hash(event.prev_hash, chain.content_of(event)) != event.hash:
            return checked, ChainBreak(event.sequence, event.pk, "content does not match its hash (record altered)")
        expected_prev = event.hash
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.get(pk=1)
    if head.sequence != checked or head.hash != expected_prev:
        return checked, ChainBreak(checked + 1, None, f"chain head says sequence {head.sequence}: events are missing at the end")
    return checked, None


def _iter_events(batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(sequence__gt=last).order_by("sequence")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].sequence


class AuditRecorder:
    """Registered with blockscore.auditing for the layers below this app."""

    def record_audit(self, **kwargs):
        return audit_event_record(**kwargs)

    def record_security_event(self, **kwargs):
        return security_event_record(**kwargs)

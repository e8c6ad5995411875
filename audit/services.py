"""Writing the audit trail.

``audit_event_record`` appends one event to the chain inside the caller's transaction:
if the action rolls back, so does its record. It locks the chain head, so concurrent
writers are serialised into one linear chain. Secrets never enter a record: keys that
look like credentials are redacted before hashing.
"""

import ipaddress
import re
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from audit import chain
from audit.events import AUDIT_ACTIONS, SECURITY_EVENT_TYPES
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, SecurityEvent
from blockscore import metrics, request_context

# A key is secret when one of its words (split on _ - . or space) names a credential.
_SECRET_WORDS = {"password", "passwd", "secret", "token", "otp", "totp", "pin", "hash", "apikey", "credential"}
_SECRET_PHRASES = ("backup_code", "private_key", "api_key", "signing_key", "secret_key")
_WORD_SPLIT_RE = re.compile(r"[_\-.\s]+")


def is_secret_key(key) -> bool:
    text = str(key).lower()
    return any(phrase in text for phrase in _SECRET_PHRASES) or bool(_SECRET_WORDS & set(_WORD_SPLIT_RE.split(text)))


REDACTED = "[redacted]"


def redact(value):
    if isinstance(value, dict):
        return {key: REDACTED if is_secret_key(key) else redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def clean_ip(value: str | None) -> str | None:
    """The address as the database will give it back, or None when it is not one.

    PostgreSQL's ``inet`` rewrites IPv6 addresses to their compressed form and refuses
    anything else, so the hashed value must already be that form (and a malformed
    forwarded address must not make the audited action fail).
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if address.version == 6:
        try:
            return clean_ipv6_address(str(address))
        except ValidationError:
            return None
    return str(address)


def _text(value: str, limit: int) -> str:
    """Fit a header value into its column; PostgreSQL refuses NUL characters."""
    return (value or "").replace("\x00", "")[:limit]


def _locked_head() -> AuditChainHead:
    """The chain head row, locked until the caller's transaction ends.

    Migration 0002 creates it; should it be missing (a flushed test database), it is
    recreated at the genesis hash. INSERT .. ON CONFLICT DO NOTHING keeps two writers
    racing to recreate it from failing.
    """
    try:
        return AuditChainHead.objects.select_for_update().get(pk=1)
    except AuditChainHead.DoesNotExist:
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1, sequence=0, hash=GENESIS_HASH)], ignore_conflicts=True)
        return AuditChainHead.objects.select_for_update().get(pk=1)


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
        head = _locked_head()
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
            "ip": clean_ip(context.ip),
            "user_agent": _text(context.user_agent, 512),
            "request_id": _text(context.request_id, 128),
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
        ip=clean_ip(context.ip),
        user_agent=_text(context.user_agent, 512),
        request_id=_text(context.request_id, 128),
        details=chain.normalise(redact(details or {})),
    )
    metrics.SECURITY_EVENTS.labels(event_type).inc()
    return event


class ChainBreak:
    """The first place where the stored chain is not what the writer produced."""

    def __init__(self, sequence: int, event_id: int | None, reason: str):
        self.sequence, self.event_id, self.reason = sequence, event_id, reason

    def __str__(self) -> str:
        ident = self.event_id if self.event_id is not None else "none"
        return f"sequence {self.sequence} (id {ident}): {self.reason}"


def audit_chain_verify(*, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in sequence order; return how many events were checked and the first break.

    Every event must follow the previous one without a gap, name its hash as
    ``prev_hash``, and hash to its stored ``hash``. The chain head is read before the
    walk, so events appended by concurrent writers while it runs are simply checked as
    well (writers commit in sequence order, holding the head lock); the head must point
    at an event that exists and carries the head's hash, otherwise events were removed
    from the end.
    """
    head = AuditChainHead.objects.filter(pk=1).first()
    head_sequence, head_hash = (head.sequence, head.hash) if head else (0, GENESIS_HASH)
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    for event in _iter_events(batch_size):
        if event.sequence != expected_sequence:
            return checked, ChainBreak(
                expected_sequence,
                None,
                f"event missing (the next stored event is sequence {event.sequence}, id {event.pk})",
            )
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(event.sequence, event.pk, "prev_hash does not match the previous event's hash")
        if chain.chain_hash(event.prev_hash, chain.content_of(event)) != event.hash:
            return checked, ChainBreak(event.sequence, event.pk, "content does not match its hash (record altered)")
        if event.sequence == head_sequence and event.hash != head_hash:
            return checked, ChainBreak(event.sequence, event.pk, "hash differs from the chain head's hash")
        expected_prev = event.hash
        expected_sequence += 1
        checked += 1
    if head is None and checked:
        return checked, ChainBreak(checked, None, "the chain head row is missing")
    if checked < head_sequence:
        return checked, ChainBreak(
            checked + 1, None, f"event missing: the chain head is at sequence {head_sequence}, events end at {checked}"
        )
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

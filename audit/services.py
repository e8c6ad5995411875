"""Writing the audit trail.

Two ways to write an event, both inside the caller's transaction (if the action rolls
back, so does its record), both ending in the one linear hash chain:

- ``audit_event_record`` chains the event as it writes it: it locks the chain head, so
  its transaction holds that lock until it ends. Right for the many low-volume actions
  (logins, decisions, settings), whose callers expect the returned event to be chained.
- ``audit_event_append`` writes the event unchained (``sequence``, ``prev_hash`` and
  ``hash`` NULL) and takes no chain lock, so concurrent money movements do not queue
  behind one another for the chain. Once the transaction commits, ``audit_chain_extend``
  chains every committed unchained event in id order under the head lock, in a short
  transaction of its own: on PostgreSQL (``AUDIT_CHAIN_IN_BACKGROUND``, the default) from
  a thread of the process that wakes up ``AUDIT_CHAIN_DELAY_SECONDS`` after a commit and
  chains everything committed meanwhile at once, so a transfer pays for no chaining;
  otherwise (SQLite, the tests) right after the commit, in the committing thread. A
  rolled-back transaction leaves no event to chain. A process that dies between the commit
  and the chaining leaves its events to the next chainer: any later append, or the
  ``audit.chain_pending`` beat job (every minute).

Secrets never enter a record: keys that look like credentials are redacted before hashing.
"""

import contextlib
import functools
import ipaddress
import logging
import os
import re
import threading
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from audit import chain
from audit.events import AUDIT_ACTIONS, SECURITY_EVENT_TYPES
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, SecurityEvent
from blockscore import metrics, request_context
from blockscore.sql import RowInsert, build

# A key is secret when one of its words (split on _ - . or space) names a credential.
_SECRET_WORDS = {"password", "passwd", "secret", "token", "otp", "totp", "pin", "hash", "apikey", "credential"}
_SECRET_PHRASES = ("backup_code", "private_key", "api_key", "signing_key", "secret_key")
_WORD_SPLIT_RE = re.compile(r"[_\-.\s]+")


@functools.lru_cache(maxsize=4096)  # keys repeat: every ledger event has the same few
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
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sequence, hash FROM audit_auditchainhead WHERE id = 1{lock}")
        row = cursor.fetchone()
    if row is not None:
        head = AuditChainHead(pk=1, sequence=row[0], hash=row[1])
        head._state.adding, head._state.db = False, connection.alias
        return head
    AuditChainHead.objects.bulk_create([AuditChainHead(pk=1, sequence=0, hash=GENESIS_HASH)], ignore_conflicts=True)
    return AuditChainHead.objects.select_for_update().get(pk=1)


def _target_identity(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    meta = target._meta
    ident = getattr(target, "public_id", None) or target.pk
    return f"{meta.app_label}.{meta.model_name}", str(ident)


def _event_fields(
    *, action: str, actor, target, target_type: str, target_id: str, changes: dict | None, metadata: dict | None
) -> dict:
    """The stored content of an event (everything but its place in the chain)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"Unregistered audit action {action!r}")
    if target is not None:
        target_type, target_id = _target_identity(target)
    context = request_context.current()
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return {
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
    """Append an event to the audit chain, chained at once, in the caller's transaction.

    ``changes`` is ``{"field": {"before": ..., "after": ...}}`` (or any JSON-able dict).
    The chain head stays locked until the caller's transaction ends.
    """
    fields = _event_fields(
        action=action,
        actor=actor,
        target=target,
        target_type=target_type,
        target_id=target_id,
        changes=changes,
        metadata=metadata,
    )
    with transaction.atomic():
        head = _locked_head()
        fields["sequence"] = sequence = head.sequence + 1
        digest = chain.chain_hash(head.hash, chain.event_content(**fields))
        event = AuditEvent.objects.create(prev_hash=head.hash, hash=digest, **fields)
        head.sequence, head.hash = sequence, digest
        head.save(update_fields=["sequence", "hash"])
    return event


_EVENT_INSERT = RowInsert(
    AuditEvent,
    [
        "occurred_at",
        "actor",
        "actor_repr",
        "action",
        "target_type",
        "target_id",
        "changes",
        "metadata",
        "ip",
        "user_agent",
        "request_id",
    ],
    prepared=True,
)


def audit_event_append(
    *,
    action: str,
    actor=None,
    target=None,
    target_type: str = "",
    target_id: str = "",
    changes: dict | None = None,
    metadata: dict | None = None,
) -> AuditEvent:
    """Write an event in the caller's transaction, to be chained right after it commits.

    Takes no lock: for the hot paths (every ledger entry), so that concurrent writers do
    not serialise on the chain head. The returned event has no ``sequence`` or ``hash``
    yet; ``audit_chain_extend`` gives it both once the transaction has committed (see the
    module docstring for when; barring a crash, after which the next chainer or the beat
    job does it).
    """
    event = _unchained_event(
        action=action,
        actor=actor,
        target=target,
        target_type=target_type,
        target_id=target_id,
        changes=changes,
        metadata=metadata,
    )
    _EVENT_INSERT.insert([event])
    audit_event_written(event)
    return event


def audit_event_statement(
    *,
    action: str,
    actor=None,
    target=None,
    target_type: str = "",
    target_id: str = "",
    changes: dict | None = None,
    metadata: dict | None = None,
) -> tuple[AuditEvent, str, list]:
    """An event as ``audit_event_append`` would write it, and its INSERT, for a caller that
    sends it together with its own statement (``blockscore.sql.execute_all``, one round
    trip). It must then call ``audit_event_written(event)`` in the same transaction. The
    event's ``pk`` stays unset."""
    event = _unchained_event(
        action=action,
        actor=actor,
        target=target,
        target_type=target_type,
        target_id=target_id,
        changes=changes,
        metadata=metadata,
    )
    statement, params = _EVENT_INSERT.statement([event])
    return event, statement, params


def _unchained_event(**fields) -> AuditEvent:
    """An event not yet written, without its place in the chain (``_event_fields``)."""
    return build(AuditEvent, **_event_fields(**fields))


def audit_event_written(event: AuditEvent) -> None:
    """Have ``event``, written unchained in the current transaction, chained once it commits."""
    if _background_chainer.enabled():
        transaction.on_commit(_background_chainer.wake)
        return
    # robust: the caller's transaction has committed by then; a chaining failure must not
    # turn its success into an error (the next chainer picks the event up).
    event_id = event.pk  # None when written by the caller: then every waiting event

    def chain_after_commit():
        audit_chain_extend(event_id=event_id)

    transaction.on_commit(chain_after_commit, robust=True)


class BackgroundChainer:
    """A daemon thread per process that chains committed events shortly after their commit.

    ``wake`` (an on_commit callback: cheap, no I/O) sets an event; the thread waits
    ``AUDIT_CHAIN_DELAY_SECONDS`` more, so that the events committed meanwhile by every
    thread of the process are chained together, then runs ``audit_chain_round`` on a
    connection of its own. A wake-up arriving while it chains makes it go round again, so
    an event committed before any ``wake`` is chained by the round that follows it; when
    another process's chainer holds the lock, it goes round again after the delay. If it
    cannot chain (the database is down), the events wait for the next round or the beat job.
    """

    def __init__(self):
        self._wakeup = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = None
        self._stopping = False

    @staticmethod
    def enabled() -> bool:
        return getattr(settings, "AUDIT_CHAIN_IN_BACKGROUND", True) and connection.vendor == "postgresql"

    def wake(self) -> None:
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._start()
        self._wakeup.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            # After a fork the parent's thread does not exist in the child: start our own.
            self._pid, self._wakeup = os.getpid(), threading.Event()
            self._thread = threading.Thread(target=self._run, name="audit-chainer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """End the thread (after its round in progress) and close its connection."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._stopping = True
        self._wakeup.set()
        thread.join(timeout)
        self._thread, self._stopping = None, False

    def _run(self) -> None:
        delay = float(getattr(settings, "AUDIT_CHAIN_DELAY_SECONDS", 0.2))
        while True:
            self._wakeup.wait()
            if self._stopping:
                connections["default"].close()
                return
            if delay > 0:
                threading.Event().wait(delay)  # gather the commits of the next moments too
            self._wakeup.clear()
            try:
                connections["default"].close_if_unusable_or_obsolete()
                if not audit_chain_round():
                    self._wakeup.set()  # another process is chaining: look again after the delay
            except Exception:  # noqa: BLE001 - the events wait for the next round or the beat job
                _logger.exception("background audit chaining failed; the events stay pending")
                with contextlib.suppress(Exception):
                    connections["default"].close()  # a fresh connection for the next round


_logger = logging.getLogger(__name__)
_background_chainer = BackgroundChainer()


# The chainers' advisory lock ("BSAUDIT" as a number). Tried, never waited for; held until
# the end of the chaining transaction.
_CHAINER_LOCK = 0x4253415544495400
_UNCHAINED = "SELECT 1 FROM audit_auditevent WHERE hash IS NULL"
# Any unchained event, through the partial index of the unchained ones: a plain
# ``WHERE hash IS NULL LIMIT 1`` may be planned as a scan of the whole table from its
# oldest (long chained) rows, on every commit.
_ANY_UNCHAINED = "SELECT 1 FROM (SELECT id FROM audit_auditevent WHERE hash IS NULL ORDER BY id LIMIT 1) AS oldest"
_PENDING_SQL = "SELECT * FROM audit_auditevent WHERE hash IS NULL ORDER BY id LIMIT %s"


def audit_chain_extend(*, event_id: int | None = None, batch_size: int = 500) -> int:
    """Chain every committed unchained event, in id order; return how many were chained.

    Each batch is one short transaction under the chain head lock: read the unchained
    events, give each the next sequence, its predecessor's hash and its own hash, move the
    head. Safe to run at any time, as often as wanted, from any process.

    Called after the commit of ``event_id``'s transaction, it returns at once when that
    event is already chained. On PostgreSQL one chainer works at a time and the others do
    not wait for it: a caller that cannot take the chainers' advisory lock returns, since
    the chainer holding it looks for unchained events again *after* releasing the lock,
    and so sees every event committed before that failed attempt. Under load one chaining
    transaction serves many transfers, and no transfer waits for the chain.
    """
    chained = 0
    while True:
        if not _chainer_needed(event_id):
            return chained  # nothing to chain, or the chainer at work will see it
        batch = _chain_all(event_id, batch_size)
        if batch is None:
            return chained  # another caller became the chainer since
        chained += batch
        # The lock is released: look again for events committed while we held it.
        event_id = None


def audit_chain_round(*, batch_size: int = 500) -> bool:
    """Chain the events committed so far, in one transaction, without looking again after.

    For the background chainer, which is woken up again by later commits (where
    ``audit_chain_extend`` would go round for as long as commits keep coming, in ever
    smaller batches). False when events wait but another chainer holds the lock (that
    one may have read the pending events before the newest committed): try again later.
    """
    with connection.cursor() as cursor:
        cursor.execute(_ANY_UNCHAINED)
        if cursor.fetchone() is None:
            return True
    # None: the lock is taken (or the events were chained meanwhile: one cheap retry).
    return _chain_all(None, batch_size) is not None


def _chain_all(event_id: int | None, batch_size: int) -> int | None:
    """One transaction under the chainers' lock chaining every committed unchained event,
    in batches; how many, or None when it is not this caller's turn (``_chainer_turn``)."""
    chained = 0
    with transaction.atomic():
        if not _chainer_turn(event_id):
            return None
        while True:
            batch = _chain_batch(batch_size)
            chained += batch
            if batch < batch_size:
                return chained


def _chainer_needed(event_id: int | None) -> bool:
    """Whether ``event_id`` (or any event) waits to be chained and no chainer is at work.

    No transaction, one statement: under load most callers stop here, because a chainer
    holds the advisory lock and will look again after releasing it (see
    ``audit_chain_extend``). That is only a hint; ``_chainer_turn`` decides.
    """
    pending = _UNCHAINED + " AND id = %s" if event_id is not None else _ANY_UNCHAINED
    params: list = [event_id] if event_id is not None else []
    if connection.vendor == "postgresql":
        pending = (
            f"EXISTS ({pending}) AND NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid <> pg_backend_pid() "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = %s AND objid = %s AND objsubid = 1)"
        )
        params += [_CHAINER_LOCK >> 32, _CHAINER_LOCK & 0xFFFFFFFF]
    else:
        pending = f"EXISTS ({pending})"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pending}", params)
        return bool(cursor.fetchone()[0])


def _chainer_turn(event_id: int | None) -> bool:
    """Whether there is something to chain (``event_id``, or any event) and this caller may chain it.

    One statement: is it unchained, and if so, the chainers' advisory lock (PostgreSQL; on
    SQLite writers are serialised anyway).
    """
    pending = _UNCHAINED + " AND id = %s" if event_id is not None else _ANY_UNCHAINED
    params = [event_id] if event_id is not None else []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT CASE WHEN EXISTS ({pending}) THEN pg_try_advisory_xact_lock(%s) ELSE false END",
                [*params, _CHAINER_LOCK],
            )
            return bool(cursor.fetchone()[0])
        cursor.execute(pending + " LIMIT 1", params)
        return cursor.fetchone() is not None


def _chain_batch(batch_size: int) -> int:
    """Chain up to ``batch_size`` unchained events under the head lock; return how many."""
    head = _locked_head()
    # raw(): the ORM's own conversions of every column (what verification reads back),
    # without compiling a query for every batch.
    pending = list(AuditEvent.objects.raw(_PENDING_SQL, [batch_size]))
    if not pending:
        return 0
    sequence, previous = head.sequence, head.hash
    links = []
    for event in pending:
        sequence += 1
        event.sequence, event.prev_hash = sequence, previous
        event.hash = previous = chain.chain_hash(previous, chain.content_of(event))
        links.append((event.pk, event.sequence, event.prev_hash, event.hash))
    _links_write(links)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditchainhead SET sequence = %s, hash = %s WHERE id = 1", [sequence, previous])
    return len(pending)


def _links_write(links: list[tuple[int, int, str, str]]) -> None:
    """One UPDATE giving each (id, sequence, prev_hash, hash) its place in the chain."""
    ids, sequences, previous, hashes = (list(column) for column in zip(*links, strict=True))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Four arrays, whatever the batch size: one short statement to parse and plan.
            cursor.execute(
                "UPDATE audit_auditevent SET sequence = link.sequence, prev_hash = link.prev_hash, hash = link.hash "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[]) "
                "AS link (id, sequence, prev_hash, hash) "
                "WHERE audit_auditevent.id = link.id AND audit_auditevent.hash IS NULL",
                [ids, sequences, previous, hashes],
            )
        else:
            # A UNION ALL of SELECTs rather than VALUES: SQLite can name neither VALUES
            # columns nor (with a leading WITH) count the rows an UPDATE changed.
            row = "SELECT CAST(%s AS BIGINT) AS id, CAST(%s AS BIGINT) AS sequence, %s AS prev_hash, %s AS hash"
            cursor.execute(
                "UPDATE audit_auditevent SET sequence = link.sequence, prev_hash = link.prev_hash, hash = link.hash "
                f"FROM ({' UNION ALL '.join([row] * len(links))}) AS link "
                "WHERE audit_auditevent.id = link.id AND audit_auditevent.hash IS NULL",
                [value for link in links for value in link],
            )
        if cursor.rowcount != len(links):
            raise RuntimeError("an audit event was chained by someone else while the chain head was locked")


def audit_chain_pending() -> tuple[int, datetime | None]:
    """How many events wait to be chained, and when the oldest of them was recorded."""
    pending = AuditEvent.objects.filter(hash__isnull=True)
    oldest = pending.order_by("pk").values_list("occurred_at", flat=True).first()
    return (pending.count() if oldest is not None else 0), oldest


def audit_chain_max_lag_seconds() -> int:
    """How long an event may wait to be chained before verification calls it lost (settings)."""
    return int(getattr(settings, "AUDIT_CHAIN_MAX_LAG_SECONDS", 600))


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

"""Idempotency-Key: a money-moving POST takes effect once, however often it is sent.

A client that does not hear back (timeout, dropped connection, crash) cannot know
whether its transfer happened. It retries with the same ``Idempotency-Key`` header and
gets the first attempt's answer instead of a second transfer. Every money-moving POST
(deposits, withdrawals, transfers, FX exchanges, paying a payment request, loan
repayments) is decorated with :func:`idempotent_post`.

Contract (what clients see)
---------------------------

* The header is required: missing → 400 ``idempotency_key_required``; not 1–255
  printable ASCII characters (``!``..``~`` and inner spaces) → 400
  ``idempotency_key_invalid``. Use a fresh random key (a UUID) per intended operation.
* Keys are scoped per user: two customers may use the same key independently.
* Same key, same request (method, path, query string and the JSON body, compared in
  canonical form: key order and whitespace do not matter) → the stored response,
  replayed byte for byte (status, body, ``Content-Type``, ``Location``...) with the
  header ``Idempotent-Replayed: true``. The body is the first attempt's, including its
  ``request_id``; the ``X-Request-ID`` header is the replay's own.
* Same key, another request (other body, other endpoint) → 422
  ``idempotency_key_reused``; nothing runs.
* A duplicate that arrives while the first attempt is still running waits for it (up to
  ``IDEMPOTENCY_LOCK_WAIT_SECONDS``) and then gets the replay; if the first is still
  running after that, 409 ``idempotency_request_in_progress`` with ``Retry-After``.
  Never a second posting.
* Which answers are stored (and so replayed):

  - the view's own response when its status is below 500 (success, or a 4xx the view
    returned);
  - a ``DomainError`` with a 4xx status raised by the view or a service (insufficient
    funds, frozen wallet, expired quote...): the refusal is the deterministic result of
    that request, so the same key keeps answering it (Stripe does the same). Retry a
    refused operation with a new key. Every write the view made before raising is
    rolled back; only the record of the refusal is committed. ``TooManyRequests`` (429)
    is not stored: it is transient by nature.

  Not stored (the key stays unused, so a retry with the same key runs again):

  - input that never reached the business logic: a malformed body (400
    ``malformed_request``) and serializer validation (400 ``validation_error``), DRF's
    404/403 from object lookups. A client may fix its request and reuse the key;
  - 5xx answers and unexpected exceptions: everything, record included, is rolled back.
* Records expire after ``IDEMPOTENCY_TTL_SECONDS`` (24 hours by default). An expired
  key is a new key; housekeeping deletes expired records.

How it holds (the invariant)
----------------------------

The record is written **in the same database transaction as the business effect**::

    BEGIN                                  -- transaction.atomic()
      take the key: advisory lock on (user, key), then look for its record
                                           -- a committed one is replayed or refused
      SAVEPOINT                            -- the view: validate, call the service
        ... postings, audit events ...
      RELEASE SAVEPOINT                    -- (ROLLBACK TO it on a DomainError)
      INSERT record: completed, status, body, headers
    COMMIT                                 -- the effect and its record, or neither
                                           -- (PostgreSQL: INSERT and COMMIT in one message)

(A view whose refusals all come before its first write, a transfer, runs without the
savepoint: ``@idempotent_post(savepoint=False)``.) So a response is stored if and only if
its effect committed: a crash at any point leaves either both or neither, and there is
no "claimed but never finished" state for anyone else to see. The record is written
once, with its answer: an insert, not an insert at the claim and an update at the end.

Concurrent duplicates take turns on the key:

* PostgreSQL: the claim takes ``pg_advisory_xact_lock`` on a 64-bit hash of (user, key),
  held until the transaction ends, and in the same round trip SELECTs the record. A
  duplicate waits at the lock while the first runs; when the first commits, the
  duplicate's SELECT (a statement of its own, so a new snapshot under READ COMMITTED,
  Django's default; this module needs it) sees the committed record and replays it. If
  the first rolled back, there is no record and the duplicate runs as if it were first.
  The wait is bounded by ``lock_timeout`` set for that one round trip
  (``IDEMPOTENCY_LOCK_WAIT_SECONDS``); running out answers 409. The unique (user, key)
  constraint stays as the backstop.
* SQLite: the project opens transactions with ``BEGIN IMMEDIATE`` (settings
  ``transaction_mode``), so writers queue at BEGIN (bounded by the connection's
  ``timeout``); the second finds the first's committed record and replays it.

The view runs inside the transaction, so a decorated view must not call external
systems it cannot undo (an LNbits payment): such a flow commits a hold first and
settles in a second step that is keyed by the hold, not by this header.

Use
---

On an ``APIView`` method (the whole method, validation included, runs inside the
transaction; the scope is ``request.user``, so the view must require authentication)::

    class TransferCreateView(APIView):
        throttle_scope = "money"

        @extend_schema(request=TransferInput, responses={201: TransferOutput})
        @idempotent_post
        def post(self, request):
            data = TransferInput(data=request.data)
            data.is_valid(raise_exception=True)
            transfer = services.transfer_create(**data.validated_data, actor=request.user)
            return Response(TransferOutput(transfer).data, status=201)

The OpenAPI schema (``blockscore.api.schema.AutoSchema``) reads the marker the
decorator leaves on the method and documents the required header, the 409 and 422
answers and ``Idempotent-Replayed``. The lower-level context manager, for code that is
not a plain view method::

    with idempotent(request, user=request.user, key=idempotency_key(request), view=self) as call:
        if not call.replayed:
            call.response = Response(...)   # the effect happens here, or a DomainError is raised
    return call.response

Settings (read with defaults): ``IDEMPOTENCY_TTL_SECONDS`` (86400),
``IDEMPOTENCY_LOCK_WAIT_SECONDS`` (5).
"""

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import OperationalError, connections, router, transaction
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from rest_framework.response import Response

from blockscore import sql
from blockscore.exceptions import DomainError, TooManyRequests
from blockscore.models import IdempotencyRecord
from blockscore.sql import RowInsert

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Response headers that belong to the answer and are replayed with it. Everything else
# (X-Request-ID, Vary, Allow, security headers) is added afresh to every response.
STORED_HEADERS = ("Content-Type", "Location", "Content-Location", "ETag", "Link")
RETRY_AFTER_SECONDS = 1
DEFAULT_TTL_SECONDS = 86400
DEFAULT_LOCK_WAIT_SECONDS = 5

# 1-255 printable ASCII characters, no leading or trailing space (proxies strip those).
_KEY_RE = re.compile(r"[!-~](?:[ -~]{0,253}[!-~])?")
KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"  # the same, for the OpenAPI schema
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout ran out


class IdempotencyKeyRequired(DomainError):
    code = "idempotency_key_required"
    status_code = 400
    default_detail = f"This operation requires an {HEADER} header (a fresh random value, e.g. a UUID, per operation)."


class IdempotencyKeyInvalid(DomainError):
    code = "idempotency_key_invalid"
    status_code = 400
    default_detail = f"The {HEADER} header must be 1 to 255 printable ASCII characters."


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status_code = 422
    default_detail = f"This {HEADER} was already used for a different request. Use a new key for a new operation."


class IdempotencyRequestInProgress(DomainError):
    code = "idempotency_request_in_progress"
    status_code = 409
    default_detail = f"A request with this {HEADER} is still being processed. Retry after it completes."

    def __init__(self, detail: str | None = None, *, retry_after: int = RETRY_AFTER_SECONDS):
        super().__init__(detail)
        self.retry_after = retry_after


def idempotency_key(request) -> str:
    """The request's Idempotency-Key, validated; raises the 400s."""
    key = request.headers.get(HEADER)
    if key is None:
        raise IdempotencyKeyRequired()
    if not _KEY_RE.fullmatch(key):
        raise IdempotencyKeyInvalid()
    return key


def request_fingerprint(request) -> str:
    """sha256 over method, path, query string and the canonical JSON body.

    Canonical: keys sorted, no insignificant whitespace, so ``{"a":1,"b":2}`` and
    ``{ "b": 2, "a": 1 }`` are the same request. Values are compared as sent: ``"10.0"``
    and ``"10.00"`` are different requests.
    """
    query = sorted((name, sorted(values)) for name, values in request.query_params.lists())
    canonical = json.dumps(
        [request.method, request.path, query, request.data],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class IdempotentCall:
    """One idempotent request in flight: a replay, or the view's answer to store."""

    def __init__(self, *, request, user, key: str, view, using: str):
        self.request = request
        self.user = user
        self.key = key
        self.view = view
        self.using = using
        self.fingerprint = request_fingerprint(request)
        self.record: IdempotencyRecord | None = None
        self.replayed = False
        self.response: HttpResponseBase | None = None

    def claim(self) -> None:
        """Take the key for this transaction, then replay or refuse a committed record of it.

        PostgreSQL: a transaction-scoped advisory lock on (user, key), then the record's
        SELECT, one round trip. A key held by a transaction still running is waited for
        (bounded) at the lock; running out of that wait raises the 409, which rolls the
        whole transaction back. The SELECT, a statement of its own, sees what committed
        while the lock was waited for. SQLite: transactions begin IMMEDIATE, so the
        transaction already has the database to itself.
        """
        now = timezone.now()
        connection = connections[self.using]
        if connection.vendor == "postgresql":
            hot = sql.cursor(connection)
            try:
                with _bounded_lock_wait(self.using) as prefix:
                    sql.execute_all(
                        hot,
                        [(_LOCK_SQL, [_lock_id(self.user.pk, self.key)]), (_FIND_SQL, [self.user.pk, self.key])],
                        prefix=prefix,
                    )
            except OperationalError as exc:
                if _sqlstate(exc) == _LOCK_NOT_AVAILABLE:
                    raise IdempotencyRequestInProgress()
                raise
            row = hot.fetchone()
            existing = _record_from_row(row, self.using) if row is not None else None
        else:
            existing = IdempotencyRecord.objects.using(self.using).filter(user=self.user, key=self.key).first()
        if existing is not None and existing.expires_at <= now:
            # An expired key is a new key; housekeeping may not have run yet.
            IdempotencyRecord.objects.using(self.using).filter(pk=existing.pk).delete()
            existing = None
        if existing is None:
            ttl = timedelta(seconds=getattr(settings, "IDEMPOTENCY_TTL_SECONDS", DEFAULT_TTL_SECONDS))
            self.record = sql.build(
                IdempotencyRecord,
                user_id=self.user.pk,
                key=self.key,
                method=self.request.method,
                path=self.request.path[:2048],
                request_hash=self.fingerprint,
                created_at=now,
                expires_at=now + ttl,
            )
            return
        if existing.request_hash != self.fingerprint:
            raise IdempotencyKeyReused(
                f"This {HEADER} was already used for a different request "
                f"({existing.method} {existing.path}). Use a new key for a new operation."
            )
        if existing.state != IdempotencyRecord.State.COMPLETED:
            raise IdempotencyRequestInProgress()  # not written by this module (it writes answers only)
        self.replayed = True
        self.response = replay_response(existing)

    def refusal_response(self, exc: DomainError) -> HttpResponseBase:
        return _rendered(self.view, self.request, self.view.handle_exception(exc))

    def store(self) -> None:
        """Write the record with its answer: one INSERT, in the transaction of the effect
        (on PostgreSQL, sent in the round trip of its COMMIT)."""
        response = _rendered(self.view, self.request, self.response)
        self.response = response
        record = self.record
        record.state = IdempotencyRecord.State.COMPLETED
        record.response_status = response.status_code
        record.response_body = response.content.decode("utf-8")
        record.response_headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
        record.completed_at = timezone.now()
        # Sent with the COMMIT: nothing in the transaction reads it.
        statement, params = _RECORD_INSERT.statement([record], using=self.using)
        sql.execute_at_commit(connections[self.using], statement, params)


_RECORD_INSERT = RowInsert(
    IdempotencyRecord,
    [
        "user",
        "key",
        "method",
        "path",
        "request_hash",
        "state",
        "response_status",
        "response_body",
        "response_headers",
        "created_at",
        "completed_at",
        "expires_at",
    ],
)
_RECORD_COLUMNS = [
    "id",
    "method",
    "path",
    "request_hash",
    "state",
    "response_status",
    "response_body",
    "response_headers",
    "expires_at",
]
_FIND_SQL = (
    f"SELECT {', '.join(_RECORD_COLUMNS)} FROM {IdempotencyRecord._meta.db_table} WHERE user_id = %s AND key = %s"
)
_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"


def _lock_id(user_id: int, key: str) -> int:
    """The advisory lock of (user, key): 64 bits of a hash (a collision only makes two
    requests take turns), in a namespace of its own."""
    digest = hashlib.sha256(f"blockscore.idempotency:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _record_from_row(row: tuple, using: str) -> IdempotencyRecord:
    values = dict(zip(_RECORD_COLUMNS, row, strict=True))
    headers = values["response_headers"]
    values["response_headers"] = json.loads(headers) if isinstance(headers, str) else headers
    record = IdempotencyRecord(**values)
    record._state.adding = False
    record._state.db = using
    return record


@contextmanager
def idempotent(request, *, user, key: str, view, savepoint: bool = True) -> Iterator[IdempotentCall]:
    """Run the block at most once for (user, key); see the module docstring.

    The block runs only when ``call.replayed`` is false, sets ``call.response`` or
    raises. After the block, ``call.response`` is the answer: the replay, the stored
    response, or the stored refusal of a ``DomainError`` (which is not re-raised).

    ``savepoint=False`` runs the block without the savepoint that undoes its writes when
    it raises a ``DomainError``: only for a block whose every refusal comes before its
    first write (or that undoes its own, in an ``atomic`` block of its own), such as a
    transfer, which saves two round trips and a subtransaction per request.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise ImproperlyConfigured("Idempotency keys are scoped per user: the view must require authentication.")
    using = router.db_for_write(IdempotencyRecord)
    call = IdempotentCall(request=request, user=user, key=key, view=view, using=using)
    with transaction.atomic(using=using):
        call.claim()
        if call.replayed:
            replay = call.response
            yield call
            if call.response is not replay:
                # The block ran its effect although this is a replay: undo it, loudly.
                raise RuntimeError("An idempotent block ran on a replay; check call.replayed first.")
            return
        try:
            with transaction.atomic(using=using) if savepoint else contextlib.nullcontext():
                yield call  # in a savepoint (by default): a refusal keeps none of the effect
        except DomainError as exc:
            if not _stored_refusal(exc):
                raise
            call.response = call.refusal_response(exc)
        if call.response is None:
            raise ImproperlyConfigured("An idempotent block must set call.response or raise.")
        if call.response.status_code >= 500:
            # Not an answer to keep: undo the effect and the claim, so a retry runs again.
            transaction.set_rollback(True, using=using)
            return
        call.store()


def idempotent_post(method=None, *, savepoint: bool = True):
    """Decorate an ``APIView`` handler: the Idempotency-Key contract for that operation.

    ``@idempotent_post(savepoint=False)``: see ``idempotent``; only for a handler whose
    refusals all come before its first write.
    """
    if method is None:
        return functools.partial(idempotent_post, savepoint=savepoint)

    @functools.wraps(method)
    def wrapper(view, request, *args, **kwargs):
        key = idempotency_key(request)
        try:
            with idempotent(request, user=request.user, key=key, view=view, savepoint=savepoint) as call:
                if not call.replayed:
                    call.response = method(view, request, *args, **kwargs)
        except IdempotencyRequestInProgress as exc:
            response = view.handle_exception(exc)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return call.response

    wrapper.idempotent = True  # read by blockscore.api.schema.AutoSchema
    return wrapper


def replay_response(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(record.response_body.encode("utf-8"), status=record.response_status)
    del response["Content-Type"]  # the stored one, if the original had one
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def expired_idempotency_records_purge(*, batch_size: int = 5000) -> int:
    """Housekeeping: delete expired records, in batches; returns how many."""
    now = timezone.now()
    deleted = 0
    while True:
        ids = list(IdempotencyRecord.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=ids, expires_at__lte=now).delete()[0]


def _stored_refusal(exc: DomainError) -> bool:
    return 400 <= exc.status_code < 500 and not isinstance(exc, TooManyRequests)


def _rendered(view, request, response: HttpResponseBase) -> HttpResponseBase:
    """Render a DRF response now (as ``finalize_response`` would) so its bytes can be stored."""
    if isinstance(response, StreamingHttpResponse):
        raise ImproperlyConfigured("A streaming response cannot be stored for idempotent replay.")
    if isinstance(response, Response) and not response.is_rendered:
        response.accepted_renderer = request.accepted_renderer
        response.accepted_media_type = request.accepted_media_type
        response.renderer_context = view.get_renderer_context()
        response.render()
    return response


@contextmanager
def _bounded_lock_wait(using: str) -> Iterator[str]:
    """PostgreSQL: wait at most IDEMPOTENCY_LOCK_WAIT_SECONDS for the enclosed statement's locks.

    Gives the statement to send before the enclosed one, in the same round trip:
    ``SET LOCAL lock_timeout``, which would last until the end of the transaction, so
    the server's lock wait is put back afterwards, with the statement that follows (``TO
    DEFAULT``: the value of the configuration, the role or the connection's options), and
    the business effect keeps it. On an error the transaction is rolled back, which
    restores it too.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield ""
        return
    seconds = getattr(settings, "IDEMPOTENCY_LOCK_WAIT_SECONDS", DEFAULT_LOCK_WAIT_SECONDS)
    yield f"SET LOCAL lock_timeout = '{max(1, int(seconds * 1000))}ms'; "
    # Sent with the next statement (the view's savepoint, or its first statement without
    # one), not in a round trip of its own.
    connection.execute_wrappers.append(_OneShotPrefix(connection, "SET LOCAL lock_timeout TO DEFAULT; "))


class _OneShotPrefix:
    """An execute wrapper that sends ``prefix`` (statements without parameters) in the same
    round trip as the next statement run on ``connection``, then removes itself."""

    def __init__(self, connection, prefix: str):
        self.connection = connection
        self.prefix = prefix

    def __call__(self, execute, sql, params, many, context):
        self.connection.execute_wrappers.remove(self)
        if many:  # not for executemany: a statement of its own first
            execute(self.prefix, None, False, context)
            return execute(sql, params, many, context)
        return execute(self.prefix + sql, params, many, context)


def _sqlstate(exc: Exception) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "pgcode", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)

"""Lean SQL for the few hot paths (ledger postings, audit events, idempotency records).

``RowInsert`` is ``bulk_create`` without its per-call cost: the INSERT statement is built
once per model, column list and row count, and values go through each field's own
``get_db_prep_save`` (so UUIDs, JSON, dates and times are stored exactly as the ORM would
store them, on PostgreSQL and on SQLite). It does not call ``pre_save``: use it only for
models whose listed fields are all set by the caller (no ``auto_now``), and it sends no
signals (the project uses none for these models).

``execute`` runs a hot statement as a PostgreSQL prepared statement: psycopg2 sends every
query as text, which the server parses and plans anew each time, and for the ledger's
statements planning costs about as much as executing. Each database session PREPAREs a
statement the first time it runs it and from then on only EXECUTEs it.
``DB_PREPARED_STATEMENTS = False`` (e.g. behind a pooler in transaction mode, where a
session is not one client's) sends the plain statements instead.
"""

import hashlib
import json
import re

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, models
from django.db.backends.signals import connection_created

_PLACEHOLDER = re.compile(r"%s")
_NAMES: dict[str, str] = {}  # statement text -> prepared statement name

# Fields whose get_db_prep_save gives back a str, int or None unchanged (subclasses, such
# as encrypted fields, are not among them: they take the long way).
_PASS_THROUGH_FIELDS = {
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.SmallIntegerField,
    models.BooleanField,
    models.BigAutoField,
    models.AutoField,
}
_PLAIN_VALUES = (str, int, type(None))  # exact types: a bool takes the long way


def _passes_through(field) -> bool:
    """Whether a str/int/None value of ``field`` goes to the database as it is."""
    if isinstance(field, models.ForeignKey):
        return type(field.target_field) in _PASS_THROUGH_FIELDS
    return type(field) in _PASS_THROUGH_FIELDS


_FIELDS_BY_MODEL: dict = {}


def build(model, **values):
    """``model(**values)`` through the positional path of ``Model.__init__``, which costs a
    fraction of the keyword path (it matters for the rows every posting builds).

    ``values`` are keyed by attribute name (``initiator_id``, not ``initiator``); the
    other fields get their defaults, as with keywords. Related objects are not cached on
    the instance: pass ids.
    """
    fields = _FIELDS_BY_MODEL.get(model)
    if fields is None:
        fields = _FIELDS_BY_MODEL[model] = [(field.attname, field) for field in model._meta.concrete_fields]
    args = [values.pop(attname) if attname in values else field.get_default() for attname, field in fields]
    if values:
        raise TypeError(f"{model.__name__} has no fields {sorted(values)} (pass attribute names, e.g. x_id)")
    return model(*args)


def _forget_prepared(sender, connection, **kwargs):
    connection.prepared_statements = set()  # a new session has none


connection_created.connect(_forget_prepared)


def cursor(connection):
    """A cursor of ``connection`` for the hot paths: one per session, reused, not closed by the caller.

    Creating Django's cursor wrapper costs more than some of the statements run through
    it (several wrapped calls per statement); the wrapper itself is kept, so errors are
    still Django's and ``execute_wrappers`` still apply. Per connection object, so per
    thread. The health check runs as for any cursor; while queries are logged (DEBUG,
    ``assertNumQueries``) a new cursor every time, which logs them.
    """
    if connection.queries_logged:
        return connection.cursor()
    connection.close_if_health_check_failed()
    session = connection.connection
    reused = getattr(connection, "hot_cursor", None)
    if session is None or reused is None or reused[0] is not session or getattr(session, "closed", False):
        wrapped = connection.cursor()  # connects when needed
        connection.hot_cursor = (connection.connection, wrapped)
        return wrapped
    return reused[1]


def execute_first(connection, sql: str, params: list):
    """``execute`` a read-only statement that opens a request's database work, as its own
    health check; the cursor holding its result.

    Django checks a reused connection with a ``SELECT 1`` of its own before the first
    statement of each request (``CONN_HEALTH_CHECKS``). Here that statement is the check:
    when the connection turns out to have died, it is closed and the statement runs once
    more on a new one, as after a failed ``SELECT 1``. Only outside a transaction (a
    statement in one could not be repeated alone); elsewhere, ``cursor`` and ``execute``.
    """
    check = (
        connection.health_check_enabled
        and not connection.health_check_done
        and connection.connection is not None
        and not connection.in_atomic_block
    )
    if check:
        connection.health_check_done = True
        try:
            hot = cursor(connection)
            execute(hot, sql, params)
            return hot
        except (OperationalError, InterfaceError):
            if connection.connection is not None and not connection.connection.closed:
                raise  # the connection is alive: a real error of the statement
            connection.close()
    hot = cursor(connection)
    execute(hot, sql, params)
    return hot


def prepared_enabled(connection) -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "DB_PREPARED_STATEMENTS", True)


def _prepared_name(connection, sql: str, count: int, cursor) -> str:
    """The name of ``sql`` prepared in this session (PREPAREd now if it was not)."""
    name = _NAMES.get(sql)
    if name is None:
        name = _NAMES.setdefault(sql, "bs_" + hashlib.sha1(sql.encode()).hexdigest()[:20])
    prepared = getattr(connection, "prepared_statements", None)
    if prepared is None:
        prepared = connection.prepared_statements = set()
    if name not in prepared:
        numbered = iter(range(1, count + 1))
        statement = _PLACEHOLDER.sub(lambda _match: f"${next(numbered)}", sql)
        # A round trip of its own: PREPARE is not transactional (the statement stays when
        # the transaction rolls back), so it is marked done exactly when it succeeded.
        cursor.execute(f"PREPARE {name} AS {statement}")
        prepared.add(name)
    return name


def _execute_sql(name: str, count: int) -> str:
    return f"EXECUTE {name}" + (f" ({', '.join(['%s'] * count)})" if count else "")


def execute_all(cursor, statements: list[tuple[str, list]], *, prefix: str = "") -> None:
    """PostgreSQL: several statements in one round trip, each as ``execute`` would run it.

    They run in order, in the caller's transaction, each with a snapshot of its own (under
    READ COMMITTED, a statement sees what committed before it started, e.g. while an
    earlier one waited for a lock); the cursor holds the last one's result. ``prefix``:
    as for ``execute``.
    """
    connection = cursor.db
    if connection.vendor != "postgresql":
        raise NotImplementedError("several statements in one round trip: PostgreSQL only")
    params = [value for _, values in statements for value in values]
    if not prepared_enabled(connection):
        cursor.execute(prefix + "; ".join(sql for sql, _ in statements), params)
        return
    names = [_prepared_name(connection, sql, len(values), cursor) for sql, values in statements]
    cursor.execute(
        prefix
        + "; ".join(_execute_sql(name, len(values)) for name, (_, values) in zip(names, statements, strict=True)),
        params,
    )


def execute(cursor, sql: str, params: list, *, prefix: str = "") -> None:
    """``cursor.execute(prefix + sql, params)``, as a prepared statement on PostgreSQL.

    ``sql``: one statement with ``%s`` placeholders and no other ``%`` (the statement is
    named after its text, so build it from a bounded set of shapes). The parameters are
    sent as literals, which the server converts to the types it inferred when preparing:
    write the statement so that every placeholder's type follows from where it stands (a
    column it is compared with or inserted into), not e.g. in a bare ``VALUES`` list.
    ``prefix``: statements without parameters, each ending in ``;``, sent in the same
    round trip before it.
    """
    connection = cursor.db
    if not prepared_enabled(connection):
        cursor.execute(prefix + sql, params)
        return
    name = _prepared_name(connection, sql, len(params), cursor)
    cursor.execute(prefix + _execute_sql(name, len(params)), params)


def execute_at_commit(connection, sql: str, params: list) -> None:
    """``execute`` now, or, on the project's PostgreSQL backend, in the round trip of the
    transaction's COMMIT (``blockscore.postgresql``): one round trip less.

    Only for a write that nothing later in the transaction reads, and only while the
    outermost ``atomic`` block is the open one (a savepoint rolled back to could not undo
    a statement not sent yet): otherwise it runs now. Its failure is the commit's.
    """
    raw = connection.connection
    if (
        len(connection.atomic_blocks) == 1
        and not connection.savepoint_ids
        and not connection.needs_rollback
        and raw is not None
        and hasattr(raw, "at_commit")
        and not connection.queries_logged
    ):
        if prepared_enabled(connection):
            sql = _execute_sql(_prepared_name(connection, sql, len(params), cursor(connection)), len(params))
        if raw.at_commit is None:
            raw.at_commit = []
        raw.at_commit.append((sql, list(params)))
        return
    execute(cursor(connection), sql, params)


class RowInsert:
    def __init__(self, model, fields: list[str], *, prepared: bool = False):
        """``prepared``: run ``insert`` and ``insert_or_skip`` through ``execute`` (for a
        statement run on every request; each row count is a statement of its own)."""
        self.model = model
        self.prepared = prepared
        self.fields = [model._meta.get_field(name) for name in fields]
        self.plain = [_passes_through(field) for field in self.fields]
        # JSON fields with the default encoder: on PostgreSQL the JSON text itself (what
        # the ORM's adapter would send, without the adapter), which the column converts.
        self.json = [isinstance(field, models.JSONField) and field.encoder is None for field in self.fields]
        self._statements: dict[tuple[str, int, bool], str] = {}

    def values(self, obj, connection) -> list:
        """``field.get_db_prep_save`` of each field's value on ``obj``, skipped where it changes nothing."""
        values = []
        postgresql = connection.vendor == "postgresql"
        for field, simple, as_json in zip(self.fields, self.plain, self.json, strict=True):
            value = getattr(obj, field.attname)
            if simple and type(value) in _PLAIN_VALUES:
                values.append(value)
            elif as_json and postgresql:
                values.append(json.dumps(value))
            else:
                values.append(field.get_db_prep_save(value, connection))
        return values

    def _statement(self, connection, rows: int, returning: bool, conflict: tuple[str, ...] = ()) -> str:
        key = (connection.alias, rows, returning, conflict)
        statement = self._statements.get(key)
        if statement is None:
            quote = connection.ops.quote_name
            columns = ", ".join(quote(field.column) for field in self.fields)
            placeholders = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
            statement = (
                f"INSERT INTO {quote(self.model._meta.db_table)} ({columns}) VALUES "
                + ", ".join([placeholders] * rows)
                + (f" ON CONFLICT ({', '.join(quote(column) for column in conflict)}) DO NOTHING" if conflict else "")
                + (f" RETURNING {quote(self.model._meta.pk.column)}" if returning else "")
            )
            self._statements[key] = statement
        return statement

    def statement(self, objs: list, *, using: str = "default", returning_pk: bool = False) -> tuple[str, list]:
        """The INSERT of ``objs`` and its parameters, to run as part of a larger statement."""
        connection = connections[using]
        params = [value for obj in objs for value in self.values(obj, connection)]
        return self._statement(connection, len(objs), returning_pk), params

    def insert(self, objs: list, *, using: str = "default", returning_pk: bool = True) -> None:
        """INSERT ``objs`` in one statement; with ``returning_pk`` their primary keys are set."""
        connection = connections[using]
        returning = returning_pk and connection.features.can_return_rows_from_bulk_insert
        if returning_pk and not returning and len(objs) > 1:
            for obj in objs:
                self.insert([obj], using=using)
            return
        params = [value for obj in objs for value in self.values(obj, connection)]
        hot = cursor(connection)
        self._execute(hot, self._statement(connection, len(objs), returning), params)
        if returning:
            for obj, row in zip(objs, hot.fetchall(), strict=True):
                obj.pk = row[0]
        elif returning_pk:
            objs[0].pk = hot.lastrowid
        for obj in objs:
            obj._state.adding = False
            obj._state.db = using

    def insert_or_skip(self, obj, *, conflict: tuple[str, ...], using: str = "default", prefix: str = "") -> bool:
        """INSERT one row unless it conflicts on the unique ``conflict`` columns; whether it was inserted.

        ``INSERT ... ON CONFLICT (...) DO NOTHING RETURNING pk``: a conflict is no error
        (the transaction goes on), and on PostgreSQL a conflicting row of a transaction
        still running is waited for, then decided on. ``prefix``: SQL without parameters
        (PostgreSQL: statements ending in ``;``) sent in the same round trip, before it.
        """
        connection = connections[using]
        params = self.values(obj, connection)
        hot = cursor(connection)
        self._execute(hot, self._statement(connection, 1, True, conflict), params, prefix=prefix)
        row = hot.fetchone()
        if row is None:
            return False
        obj.pk = row[0]
        obj._state.adding = False
        obj._state.db = using
        return True

    def _execute(self, cursor, statement: str, params: list, prefix: str = "") -> None:
        if self.prepared:
            execute(cursor, statement, params, prefix=prefix)
        else:
            cursor.execute(prefix + statement, params)

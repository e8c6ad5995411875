"""Django's PostgreSQL backend (psycopg2), with BEGIN sent with a transaction's first statement.

With psycopg2 out of autocommit, the driver sends ``BEGIN`` in a round trip of its own
before the first statement of every transaction. A round trip costs this project's
busiest paths as much as a short statement: a transfer is BEGIN, lock, write, COMMIT.
This backend keeps the driver in autocommit and starts transactions itself: Django turns
autocommit off (``transaction.atomic``) and the backend sends ``BEGIN;`` in front of the
next statement, in the same message; ``COMMIT`` and ``ROLLBACK`` it sends itself, and
not at all when the transaction ran no statement. Django's transaction API, savepoints
and error handling are unchanged: only the number of round trips is.

It is chosen for every ``postgres://`` ``DATABASE_URL`` (settings). What it takes care of:

* A statement that fails to parse runs nothing, its ``BEGIN`` included: the backend
  reads the server's transaction status (kept by libpq, no round trip) after a failed
  statement, and if no transaction was opened it sends ``BEGIN`` again with the next one.
* ``executemany``, COPY and stored procedures, and named (server-side) cursors, whose
  ``DECLARE`` cannot carry another statement, get ``BEGIN`` in a round trip of their own
  first. Named cursors are declared ``WITH HOLD`` (the driver is in autocommit, where
  psycopg2 requires it); Django closes them when their results are read.
* The ``isolation_level`` option of ``OPTIONS`` becomes ``BEGIN ISOLATION LEVEL ...``.
* ``blockscore.sql.execute_at_commit`` keeps a write for the transaction's COMMIT
  message, where nothing in the transaction reads it: the answer an idempotent request
  stores. If it fails, the transaction is rolled back and the error is the commit's.
* Logged queries (``connection.queries``, ``assertNumQueries``) show each statement as
  the code ran it, without the ``BEGIN;`` in front.
"""

import psycopg2
import psycopg2.extensions
from django.db.backends.postgresql import base, operations
from django.db.backends.utils import debug_transaction
from psycopg2 import sql as pgsql

_IN_TRANSACTION = (
    psycopg2.extensions.TRANSACTION_STATUS_INTRANS,
    psycopg2.extensions.TRANSACTION_STATUS_INERROR,
    psycopg2.extensions.TRANSACTION_STATUS_ACTIVE,
)
_ISOLATION = {
    psycopg2.extensions.ISOLATION_LEVEL_READ_UNCOMMITTED: "READ UNCOMMITTED",
    psycopg2.extensions.ISOLATION_LEVEL_READ_COMMITTED: "READ COMMITTED",
    psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ: "REPEATABLE READ",
    psycopg2.extensions.ISOLATION_LEVEL_SERIALIZABLE: "SERIALIZABLE",
}


class Connection(psycopg2.extensions.connection):
    """A psycopg2 connection that always stays in autocommit; ``begin`` is the statement
    that opens the transaction Django asked for, while it has not been sent yet, and
    ``at_commit`` the statements to send with its COMMIT."""

    begin: str | None = None
    begin_statement = "BEGIN"
    at_commit: list[tuple[str, list]] | None = None

    def begin_now(self) -> None:
        """Send a pending BEGIN in a round trip of its own."""
        if self.begin is not None:
            with psycopg2.extensions.cursor(self) as cursor:
                cursor.execute(self.begin)
            self.begin = None

    def end(self, statement: str) -> None:
        """COMMIT (with the statements kept for it) or ROLLBACK the open transaction;
        nothing to send if none was opened."""
        pending, self.at_commit = self.at_commit, None
        begin, self.begin = self.begin, None
        if statement != "COMMIT" or not pending:
            if begin is None:
                with psycopg2.extensions.cursor(self) as cursor:
                    cursor.execute(statement)
            return
        statements = ([begin] if begin is not None else []) + [query for query, _ in pending] + ["COMMIT"]
        # If a kept statement fails, the ones after it, COMMIT included, do not run; Django
        # rolls the transaction back when its commit fails.
        with psycopg2.extensions.cursor(self) as cursor:
            cursor.execute("; ".join(statements), [value for _, params in pending for value in params])


class Cursor(psycopg2.extensions.cursor):
    def execute(self, query, vars=None):
        connection = self.connection
        begin = connection.begin
        if begin is None:
            return super().execute(query, vars)
        if self.name is not None:  # DECLARE ... CURSOR FOR <query>: one statement only
            connection.begin_now()
            return super().execute(query, vars)
        if isinstance(query, pgsql.Composable):
            query = query.as_string(self)
        prefix = begin + "; "
        connection.begin = None
        try:
            return super().execute(prefix.encode() + query if isinstance(query, bytes) else prefix + query, vars)
        except BaseException:
            if connection.closed or connection.get_transaction_status() not in _IN_TRANSACTION:
                connection.begin = begin  # nothing ran (e.g. a syntax error): BEGIN is still to send
            raise

    def executemany(self, query, vars_list):
        self.connection.begin_now()
        return super().executemany(query, vars_list)

    def callproc(self, procname, parameters=None):
        self.connection.begin_now()
        return super().callproc(procname, parameters)

    def copy_expert(self, sql, file, size=8192):
        self.connection.begin_now()
        return super().copy_expert(sql, file, size)

    def copy_from(self, *args, **kwargs):
        self.connection.begin_now()
        return super().copy_from(*args, **kwargs)

    def copy_to(self, *args, **kwargs):
        self.connection.begin_now()
        return super().copy_to(*args, **kwargs)


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        query = super().last_executed_query(cursor, sql, params)
        begin = cursor.connection.begin_statement + "; "
        if query and query.startswith(begin):
            return query[len(begin) :]
        return query


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_connection_params(self):
        params = super().get_connection_params()
        params["connection_factory"] = Connection
        params["cursor_factory"] = Cursor
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        level = self.settings_dict["OPTIONS"].get("isolation_level")
        if level is not None:
            connection.begin_statement = f"BEGIN ISOLATION LEVEL {_ISOLATION[level]}"
        return connection

    def _set_autocommit(self, autocommit):
        with self.wrap_database_errors:
            connection = self.connection
            if not connection.autocommit:
                connection.autocommit = True
            if autocommit:
                connection.begin = None
            elif connection.begin is None and connection.get_transaction_status() not in _IN_TRANSACTION:
                connection.begin = connection.begin_statement

    def _commit(self):
        if self.connection is not None:
            with debug_transaction(self, "COMMIT"), self.wrap_database_errors:
                self.connection.end("COMMIT")

    def _rollback(self):
        if self.connection is not None:
            with debug_transaction(self, "ROLLBACK"), self.wrap_database_errors:
                self.connection.end("ROLLBACK")

"""The PostgreSQL backend that sends BEGIN with a transaction's first statement."""

import psycopg2.extensions
import pytest
from django.db import DatabaseError, IntegrityError, ProgrammingError, connection, connections, transaction
from django.db.backends.postgresql.base import DatabaseWrapper as StockWrapper
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tests.factories import UserFactory
from blockscore import sql

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL backend"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE backend_probe (n integer NOT NULL)")
    yield "backend_probe"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS backend_probe")


def _rows() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM backend_probe ORDER BY n")
        return [row[0] for row in cursor.fetchall()]


def _first_statement_opened_the_transaction(wrapper) -> bool:
    """Run as a transaction's first statement: whether it arrived in the message that
    began the transaction (a transaction starts at its first statement's arrival, and
    every statement of one message shares that arrival time)."""
    with _atomic(wrapper), wrapper.cursor() as cursor:
        cursor.execute("SELECT transaction_timestamp() = statement_timestamp()")
        return cursor.fetchone()[0]


class _atomic:
    """A transaction on any wrapper (Django's ``atomic`` takes only a configured alias)."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def __enter__(self):
        self.wrapper.set_autocommit(False)

    def __exit__(self, *exc):
        self.wrapper.commit()
        self.wrapper.set_autocommit(True)


def test_begin_travels_with_the_first_statement_where_the_stock_backend_sends_it_alone():
    assert _first_statement_opened_the_transaction(connection) is True

    stock = StockWrapper(connection.settings_dict, alias="stock")
    try:
        assert _first_statement_opened_the_transaction(stock) is False
    finally:
        stock.close()


def test_commit_keeps_and_rollback_undoes(table):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO backend_probe VALUES (1)")
    with pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO backend_probe VALUES (2)")
        raise RuntimeError("undo")
    assert _rows() == [1]


def test_a_savepoint_rolled_back_keeps_the_rest_of_the_transaction(table):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO backend_probe VALUES (1)")
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO backend_probe VALUES (NULL)")
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO backend_probe VALUES (3)")
    assert _rows() == [1, 3]


def test_a_first_statement_that_does_not_parse_leaves_begin_to_the_next_one(table):
    with transaction.atomic():
        with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO backend_probe VALUES (1)) -- a syntax error: nothing runs")
        # The savepoint above carried BEGIN; it was rolled back to, the transaction goes on.
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO backend_probe VALUES (2)")
    assert _rows() == [2]

    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELEC 1")  # BEGIN and this were one message, and neither ran
    assert connection.connection.begin is None  # back in autocommit
    with pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO backend_probe VALUES (3)")
        raise RuntimeError("undo")
    assert _rows() == [2]


def test_a_syntax_error_then_a_statement_in_the_same_transaction_still_opens_it(table):
    """BEGIN is sent again when the statement that carried it did not run."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            with pytest.raises(ProgrammingError):
                cursor.execute("SELEC 1")
        assert connection.connection.begin is not None
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO backend_probe VALUES (4)")
        assert connection.connection.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INTRANS
        transaction.set_rollback(True)
    assert _rows() == []


def test_executemany_and_server_side_cursors_run_inside_the_transaction(table):
    UserFactory.create_batch(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO backend_probe VALUES (%s)", [(5,), (6,)])
        assert _rows() == [5, 6]
        raise RuntimeError("undo")
    assert _rows() == []

    with transaction.atomic():
        UserFactory(email="declared@example.com")
        # .iterator() reads through a named cursor (DECLARE ... CURSOR), sent after BEGIN.
        emails = [user.email for user in User.objects.order_by("pk").iterator(chunk_size=2)]
        transaction.set_rollback(True)
    assert "declared@example.com" in emails and len(emails) == 4
    assert not User.objects.filter(email="declared@example.com").exists()


def test_logged_queries_show_the_statements_as_run():
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        User.objects.filter(pk=0).exists()
    statements = [query["sql"] for query in captured.captured_queries]
    # Django logs the transaction's boundaries as entries of their own, as with its backend.
    assert [statements[0], statements[-1]] == ["BEGIN", "COMMIT"]
    assert statements[1].startswith("SELECT 1 AS")


def test_an_isolation_level_in_options_begins_each_transaction_at_that_level():
    settings_dict = {
        **connection.settings_dict,
        "OPTIONS": {
            **connection.settings_dict["OPTIONS"],
            "isolation_level": psycopg2.extensions.ISOLATION_LEVEL_SERIALIZABLE,
        },
    }
    serializable = type(connections["default"])(settings_dict, alias="serializable")
    try:
        with _atomic(serializable), serializable.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone()[0] == "serializable"
        with serializable.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")  # autocommit: the server's default
            assert cursor.fetchone()[0] == "read committed"
    finally:
        serializable.close()


def test_a_write_kept_for_the_commit_goes_with_it_and_a_rollback_drops_it(table):
    with transaction.atomic():
        sql.execute_at_commit(connection, "INSERT INTO backend_probe VALUES (%s)", [7])
        assert _rows() == []  # kept: not sent yet
    assert _rows() == [7]

    with transaction.atomic():  # the only statement of its transaction: BEGIN, it, COMMIT in one message
        sql.execute_at_commit(connection, "INSERT INTO backend_probe VALUES (%s)", [8])
    assert _rows() == [7, 8]

    with pytest.raises(RuntimeError), transaction.atomic():
        sql.execute_at_commit(connection, "INSERT INTO backend_probe VALUES (%s)", [9])
        raise RuntimeError("undo")
    assert _rows() == [7, 8]


def test_in_a_savepoint_a_write_for_the_commit_runs_at_once(table):
    with transaction.atomic():
        with transaction.atomic():
            sql.execute_at_commit(connection, "INSERT INTO backend_probe VALUES (%s)", [10])
            assert _rows() == [10]  # sent now: rolling back to the savepoint must undo it
            transaction.set_rollback(True)
        assert _rows() == []
    assert _rows() == []


def test_a_write_for_the_commit_that_fails_fails_the_commit_and_undoes_the_transaction(table):
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO backend_probe VALUES (11)")
        sql.execute_at_commit(connection, "INSERT INTO backend_probe VALUES (%s)", [None])
    assert _rows() == []
    with transaction.atomic():  # the connection goes on
        sql.execute_at_commit(connection, "INSERT INTO backend_probe VALUES (%s)", [12])
    assert _rows() == [12]

"""The token lookup that opens an authenticated request is also its connection's health check."""

import uuid

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from accounts.authentication import _token_user
from accounts.tests.factories import UserFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared lookup and server-side termination"),
    pytest.mark.django_db(transaction=True),
]


def _terminate(pid: int) -> None:
    """End a server session from outside, as a database restart or an idle timeout would."""
    db = settings.DATABASES["default"]
    other = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or 5432
    )
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()


def _new_request(enabled: bool = True) -> None:
    """What Django does for a reused connection at the start of each request."""
    connection.health_check_enabled = enabled
    connection.health_check_done = False


def test_a_connection_that_died_is_replaced_and_the_lookup_answers():
    user = UserFactory()
    connection.ensure_connection()
    dead_pid = connection.connection.info.backend_pid
    _terminate(dead_pid)
    _new_request()

    found, revoked = _token_user(str(uuid.uuid4()), user.public_id)

    assert found is not None and found.pk == user.pk and revoked is False
    assert connection.connection.info.backend_pid != dead_pid
    assert connection.health_check_done


def test_without_health_checks_a_dead_connection_still_fails_the_request():
    user = UserFactory()
    connection.ensure_connection()
    _terminate(connection.connection.info.backend_pid)
    _new_request(enabled=False)

    with pytest.raises(Exception):  # noqa: B017 - psycopg2's error for a closed server connection, wrapped by Django
        _token_user(str(uuid.uuid4()), user.public_id)
    connection.close()


def test_a_live_connection_is_kept_and_checked_by_the_lookup_alone(django_assert_num_queries):
    user = UserFactory()
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    _token_user(str(uuid.uuid4()), user.public_id)  # the session PREPAREs the lookup once
    _new_request()

    with django_assert_num_queries(1):  # no SELECT 1 before the lookup
        found, _revoked = _token_user(str(uuid.uuid4()), user.public_id)

    assert found.pk == user.pk
    assert connection.connection.info.backend_pid == pid

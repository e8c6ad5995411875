"""Fixtures for the audit tests: recording events, and tampering with them as an attacker would."""

import pytest
from django.db import connection

from audit.services import audit_event_record
from blockscore import request_context

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


@pytest.fixture
def record_events(db):
    """record_events(3, action=...) -> three events appended to the chain, oldest first."""

    def record(count: int, *, action: str = "user.updated", target_type: str = "test.thing", **kwargs):
        return [
            audit_event_record(action=action, target_type=target_type, target_id=f"thing-{index}", **kwargs)
            for index in range(count)
        ]

    return record


@pytest.fixture
def in_request():
    """in_request(ip=..., request_id=..., user_agent=...): events recorded inside act as if in that request."""
    tokens = []

    def activate(**fields):
        tokens.append(request_context.activate(request_context.RequestContext(**fields)))

    yield activate
    for token in reversed(tokens):
        request_context.deactivate(token)


def tamper(sql: str, params=()) -> None:
    """Run raw SQL on the audit table as someone with full control of the database.

    On PostgreSQL the append-only trigger is switched off for the statement (what a
    table owner could do), then switched on again; SQLite has no trigger.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")

"""On PostgreSQL the database itself refuses to rewrite history, and a rewrite made with
the trigger switched off is still caught by verify_audit_chain."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent, SecurityEvent
from audit.services import security_event_record
from audit.tests.conftest import on_postgresql

pytestmark = [on_postgresql, pytest.mark.django_db]


def run_sql(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: the test goes on after a refusal
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET target_id = 'forged' WHERE sequence = 2",
        "UPDATE audit_auditevent SET hash = hash",
        "DELETE FROM audit_auditevent WHERE sequence = 2",
        "DELETE FROM audit_auditevent",
    ],
)
def test_raw_update_or_delete_of_an_audit_event_is_refused(record_events, sql):
    record_events(3)

    with pytest.raises(DatabaseError, match="audit_auditevent is append-only"):
        run_sql(sql)

    assert AuditEvent.objects.count() == 3
    assert AuditEvent.objects.get(sequence=2).target_id == "thing-1"


def test_orm_update_and_delete_of_audit_events_are_refused(record_events):
    record_events(2)

    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).update(action="user.reactivated")
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
        AuditEvent.objects.all().delete()

    assert list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True)) == ["user.updated"] * 2


def test_security_events_are_append_only_too(db):
    security_event_record(event_type="login_failed", email="someone@example.com")

    with pytest.raises(DatabaseError, match="audit_securityevent is append-only"):
        run_sql("UPDATE audit_securityevent SET severity = 'info'")
    with pytest.raises(DatabaseError, match="audit_securityevent is append-only"):
        run_sql("DELETE FROM audit_securityevent")

    assert SecurityEvent.objects.get().severity == "medium"


def test_row_changed_with_the_trigger_disabled_is_named_by_verify(record_events):
    events = record_events(5)
    call_command("verify_audit_chain", stdout=open("/dev/null", "w"))

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        cursor.execute("UPDATE audit_auditevent SET actor_repr = 'someone-else@example.com' WHERE sequence = 3")
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")

    with pytest.raises(CommandError) as error:
        call_command("verify_audit_chain")
    assert f"sequence 3 (id {events[2].pk}): content does not match its hash" in str(error.value)
    # The trigger is back on: the forger cannot quietly undo the change either.
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("UPDATE audit_auditevent SET actor_repr = '' WHERE sequence = 3")

"""manage.py verify_audit_chain: OK on a clean chain, names the first broken link otherwise.

The tampering here works on any database (on PostgreSQL the append-only trigger is
switched off around it, as a table owner could).
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from audit.tests.conftest import tamper

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def test_clean_chain_reports_how_many_events_were_verified(record_events):
    record_events(5)

    assert "Audit chain OK: 5 event(s) verified." in verify()


def test_empty_chain_is_clean(db):
    assert "Audit chain OK: 0 event(s) verified." in verify()


def test_small_batches_walk_the_whole_chain(record_events):
    record_events(7)
    out = StringIO()

    call_command("verify_audit_chain", "--batch-size", "2", stdout=out)

    assert "7 event(s) verified" in out.getvalue()


def test_altered_field_is_named_by_sequence_and_id(record_events):
    events = record_events(4)
    tamper("UPDATE audit_auditevent SET target_id = %s WHERE sequence = 2", ["forged"])

    with pytest.raises(CommandError) as error:
        verify()

    assert f"sequence 2 (id {events[1].pk}): content does not match its hash" in str(error.value)
    assert "1 event(s) before it verified" in str(error.value)


def test_altered_changes_json_is_detected(record_events):
    record_events(3, changes={"first_name": {"before": "Ann", "after": "Anne"}})
    event = AuditEvent.objects.get(sequence=3)
    tamper(
        "UPDATE audit_auditevent SET changes = %s WHERE id = %s",
        ['{"first_name": {"before": "Ann", "after": "Eve"}}', event.pk],
    )

    with pytest.raises(CommandError, match=rf"sequence 3 \(id {event.pk}\): content does not match"):
        verify()


def test_rehashed_altered_row_breaks_the_next_link(record_events):
    record_events(3)
    tamper("UPDATE audit_auditevent SET hash = %s WHERE sequence = 2", ["f" * 64])

    # Row 2 no longer matches its own content; and even a forger who recomputed it
    # would leave row 3 pointing at the old hash.
    with pytest.raises(CommandError, match=r"sequence 2 .*content does not match"):
        verify()


def test_prev_hash_that_skips_a_link_is_detected(record_events):
    first, *_ = record_events(3)
    tamper("UPDATE audit_auditevent SET prev_hash = %s WHERE sequence = 3", [first.hash])

    with pytest.raises(CommandError, match=r"sequence 3 .*prev_hash does not match"):
        verify()


def test_deleted_middle_row_is_named_as_missing(record_events):
    events = record_events(5)
    tamper("DELETE FROM audit_auditevent WHERE sequence = 3")

    with pytest.raises(CommandError) as error:
        verify()

    message = str(error.value)
    assert "sequence 3 (id none): event missing" in message
    assert f"next stored event is sequence 4, id {events[3].pk}" in message


def test_deleted_first_row_is_named_as_missing(record_events):
    record_events(2)
    tamper("DELETE FROM audit_auditevent WHERE sequence = 1")

    with pytest.raises(CommandError, match=r"sequence 1 \(id none\): event missing"):
        verify()


def test_deleted_last_row_is_caught_by_the_chain_head(record_events):
    record_events(4)
    tamper("DELETE FROM audit_auditevent WHERE sequence = 4")

    with pytest.raises(CommandError, match=r"sequence 4 \(id none\): event missing: the chain head is at sequence 4"):
        verify()

"""audit_event_append: written in the caller's transaction, chained right after it commits."""

import io
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import override_settings

from audit import chain
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from audit.services import audit_chain_extend, audit_chain_verify, audit_event_append, audit_event_record
from audit.tasks import chain_pending
from audit.tests.conftest import on_postgresql
from blockscore.models import JobRun


def append(target_id: str = "thing") -> AuditEvent:
    return audit_event_append(action="user.updated", target_type="test.thing", target_id=target_id)


def chained_ids() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("target_id", flat=True))


@pytest.mark.django_db
def test_the_event_is_written_unchained_and_chained_once_its_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            event = append("first")
            stored = AuditEvent.objects.get(pk=event.pk)
            assert (stored.sequence, stored.prev_hash, stored.hash) == (None, None, None)
            assert audit_chain_verify() == (0, None)

    event.refresh_from_db()
    assert (event.sequence, event.prev_hash) == (1, GENESIS_HASH)
    assert event.hash == chain.chain_hash(GENESIS_HASH, chain.content_of(event))
    head = AuditChainHead.objects.get(pk=1)
    assert (head.sequence, head.hash) == (1, event.hash)
    assert audit_chain_verify() == (1, None)


@pytest.mark.django_db
def test_a_rolled_back_transaction_leaves_no_event_and_no_gap(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            append("doomed")
            raise RuntimeError("the action failed after recording")
    assert callbacks == []
    assert AuditEvent.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        kept = append("kept")

    kept.refresh_from_db()
    assert (kept.sequence, kept.prev_hash) == (1, GENESIS_HASH)
    assert audit_chain_verify() == (1, None)


@pytest.mark.django_db
def test_appended_and_recorded_events_share_one_chain(django_capture_on_commit_callbacks):
    audit_event_record(action="user.updated", target_type="test.thing", target_id="recorded-1")
    with django_capture_on_commit_callbacks(execute=True):
        append("appended-1")
    audit_event_record(action="user.updated", target_type="test.thing", target_id="recorded-2")
    with django_capture_on_commit_callbacks(execute=True):
        append("appended-2")

    assert not AuditEvent.objects.filter(hash__isnull=True).exists()
    assert chained_ids() == ["recorded-1", "appended-1", "recorded-2", "appended-2"]
    assert audit_chain_verify() == (4, None)
    call_command("verify_audit_chain", stdout=open("/dev/null", "w"))


@pytest.mark.django_db
def test_events_left_unchained_by_a_dead_writer_are_chained_by_the_beat_job():
    # Under the test transaction on_commit never fires: as if the writer died after COMMIT.
    append("orphan-1")
    append("orphan-2")
    assert AuditEvent.objects.filter(hash__isnull=True).count() == 2

    chain_pending.apply()

    assert chained_ids() == ["orphan-1", "orphan-2"]
    assert audit_chain_verify() == (2, None)
    run = JobRun.objects.get(name="audit_chain_pending")
    assert (run.status, run.counts) == ("succeeded", {"chained": 2})
    assert audit_chain_extend() == 0  # nothing left: running it again changes nothing


@pytest.mark.django_db
def test_verify_reports_waiting_events_and_fails_once_they_wait_too_long():
    append("waiting")
    out = io.StringIO()

    call_command("verify_audit_chain", stdout=out)
    assert "1 event(s) recorded in the last moments wait to be chained" in out.getvalue()

    with override_settings(AUDIT_CHAIN_MAX_LAG_SECONDS=-1), pytest.raises(CommandError, match="1 audit event"):
        call_command("verify_audit_chain")


@on_postgresql
@pytest.mark.django_db
def test_the_database_lets_the_chain_fields_be_filled_once_and_nothing_else():
    event = append("guarded")

    def run_sql(sql, params=()):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)

    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):  # content, even unchained
        run_sql("UPDATE audit_auditevent SET target_id = 'forged' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):  # content with the chain fields
        run_sql(
            "UPDATE audit_auditevent SET sequence = 1, prev_hash = %s, hash = %s, actor_repr = 'x' WHERE id = %s",
            [GENESIS_HASH, "a" * 64, event.pk],
        )
    audit_chain_extend()
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):  # chained: never again
        run_sql("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["b" * 64, event.pk])
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
        run_sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert audit_chain_verify() == (1, None)


THREADS = 8
EVENTS_PER_THREAD = 15


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_leave_one_linear_verifiable_chain_with_nothing_unchained():
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait(timeout=30)
            for index in range(EVENTS_PER_THREAD):
                with transaction.atomic():
                    append(f"{number}-{index}")
                if index % 5 == 4:  # an immediately chained event now and then, as logins would be
                    audit_event_record(action="user.updated", target_type="test.thing", target_id=f"{number}-r{index}")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    total = THREADS * (EVENTS_PER_THREAD + EVENTS_PER_THREAD // 5)
    # Each call returned after its commit, its event chained by itself or left to the
    # chainer holding the lock, which looks again after letting go: once every writer
    # is done, nothing waits, with no beat job involved.
    assert AuditEvent.objects.filter(hash__isnull=True).count() == 0
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [event.sequence for event in events] == list(range(1, total + 1))
    assert len({event.target_id for event in events}) == total
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    assert AuditChainHead.objects.get(pk=1).sequence == total
    assert audit_chain_verify() == (total, None)
    call_command("verify_audit_chain", stdout=open("/dev/null", "w"))


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_background_chainer_chains_committed_events_and_waits_out_another_chainer(settings):
    """On PostgreSQL the events of committed transactions are chained by a thread of the
    process shortly after; while another chainer holds the lock it tries again later."""
    from audit import services

    settings.AUDIT_CHAIN_IN_BACKGROUND = True
    settings.AUDIT_CHAIN_DELAY_SECONDS = 0.05
    holder = connections.create_connection("default")  # another chainer, in another session

    def unchained() -> int:
        return AuditEvent.objects.filter(hash__isnull=True).count()

    def wait_until_chained(seconds: float = 10) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if unchained() == 0:
                return True
            time.sleep(0.05)
        return False

    try:
        for index in range(5):
            with transaction.atomic():
                append(f"background-{index}")
        assert wait_until_chained(), "the background chainer did not chain the committed events"
        assert chained_ids() == [f"background-{index}" for index in range(5)]

        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [services._CHAINER_LOCK])
        with transaction.atomic():
            append("while-locked")
        time.sleep(0.5)  # several rounds of the chainer, each finding the lock taken
        assert unchained() == 1
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [services._CHAINER_LOCK])
        assert wait_until_chained(), "the event waiting for the lock was never chained"
        assert audit_chain_verify() == (6, None)
    finally:
        services._background_chainer.stop()
        holder.close()

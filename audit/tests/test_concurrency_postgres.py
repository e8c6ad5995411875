"""Concurrent writers on PostgreSQL still produce one linear chain with no gaps."""

import threading

import pytest
from django.core.management import call_command
from django.db import connections

from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_chain_verify, audit_event_record
from audit.tests.conftest import on_postgresql

THREADS = 8
EVENTS_PER_THREAD = 10


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_contiguous_verifiable_chain():
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait(timeout=30)
            for index in range(EVENTS_PER_THREAD):
                audit_event_record(
                    action="user.updated",
                    target_type="test.writer",
                    target_id=f"{number}-{index}",
                    changes={"n": {"before": index, "after": index + 1}},
                )
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
    total = THREADS * EVENTS_PER_THREAD
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [event.sequence for event in events] == list(range(1, total + 1))
    assert len({event.target_id for event in events}) == total
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    assert AuditChainHead.objects.get(pk=1).sequence == total
    assert audit_chain_verify() == (total, None)
    call_command("verify_audit_chain")

"""A real Celery worker takes the housekeeping job off the broker and records its run.

No eager mode: the message goes through whatever broker the settings give (the embedded
file-system broker locally, Redis in CI) to a worker running in a thread of this
process, which writes the JobRun on its own database connection. Hence a real
transaction (``transactional_db``): the worker must see, and the test must read, only
committed rows.

The worker consumes a queue of its own, so it neither takes messages meant for a
``scripts/run`` worker sharing the broker nor leaves them its own.
"""

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from celery.signals import task_postrun
from django.db import connections

from blockscore.celery import app
from blockscore.models import JobRun
from blockscore.tasks import housekeeping

pytestmark = pytest.mark.django_db(transaction=True)


def _close_worker_connections(**kwargs):
    # The worker thread opens its own database connections; close them after each task
    # so none is left open when the test database is dropped (PostgreSQL refuses then).
    connections.close_all()


@pytest.fixture
def worker_queue():
    """A Celery worker in a thread, consuming a queue no one else uses."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    # The test settings run tasks eagerly (in the caller); here they must go through
    # the broker.
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(
            app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            yield queue
    finally:
        task_postrun.disconnect(_close_worker_connections)
        app.conf.task_always_eager = eager


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def test_a_worker_runs_housekeeping_from_the_broker_and_records_the_run(worker_queue):
    # Given a worker listening on the broker, and no job run yet
    assert not JobRun.objects.filter(name="housekeeping").exists()

    # When the housekeeping task is sent the way beat sends it
    sent = housekeeping.apply_async(queue=worker_queue)
    assert not isinstance(sent, EagerResult), "the task ran in the caller, not through the broker"

    # Then the worker runs it and a succeeded JobRun carries that task's id
    run = wait_for(lambda: JobRun.objects.filter(task_id=sent.id).exclude(status=JobRun.Status.RUNNING).first())
    assert run is not None, f"no finished JobRun for task {sent.id} (broker: {app.conf.broker_url.split(':')[0]})"
    assert run.name == "housekeeping"
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert run.finished_at is not None and run.finished_at >= run.started_at
    # Every registered housekeeping step reported a count.
    assert set(run.counts) >= {
        "accounts.expire_magic_links",
        "accounts.expire_mfa_challenges",
        "accounts.purge_expired_tokens",
    }
    assert all(isinstance(count, int) for count in run.counts.values())


def test_housekeeping_twice_is_safe(worker_queue):
    first = housekeeping.apply_async(queue=worker_queue)
    second = housekeeping.apply_async(queue=worker_queue)

    done = wait_for(
        lambda: JobRun.objects.filter(task_id__in=[first.id, second.id], status=JobRun.Status.SUCCEEDED).count() == 2
    )

    assert done, list(JobRun.objects.values("task_id", "status", "error"))

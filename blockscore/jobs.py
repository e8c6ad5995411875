"""Scheduled jobs: each run is recorded as a JobRun, and housekeeping is a registry.

``run_job(name, fn)`` records start, end, status, the counts ``fn`` returns and any
error, so staff can see in the console that the job ran and what it did. Jobs must be
idempotent: running one twice for the same day changes nothing the second time.

Housekeeping is one job made of steps that apps register in ``AppConfig.ready()``
(``register_housekeeping("expire_magic_links", fn)``); each step returns how many rows
it touched. A step that fails does not stop the others; the run is then marked failed.
"""

import logging
import traceback
from collections.abc import Callable

from django.utils import timezone

from blockscore import metrics
from blockscore.models import JobRun

logger = logging.getLogger(__name__)

_housekeeping: dict[str, Callable[[], int]] = {}


def register_housekeeping(name: str, step: Callable[[], int]) -> None:
    _housekeeping[name] = step


def housekeeping_steps() -> dict[str, Callable[[], int]]:
    return dict(_housekeeping)


def run_job(name: str, fn: Callable[[], dict], *, task_id: str = "") -> JobRun:
    run = JobRun.objects.create(name=name, task_id=task_id or "", started_at=timezone.now())
    try:
        counts = fn() or {}
    except Exception as exc:  # the edge of a job: record it, then let Celery see it
        run.status = JobRun.Status.FAILED
        run.error = "".join(traceback.format_exception(exc))[-10_000:]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        metrics.JOB_RUNS.labels(name, run.status).inc()
        logger.exception("job failed", extra={"job": name})
        raise
    errors = counts.pop("_errors", None)
    run.counts = counts
    run.status = JobRun.Status.FAILED if errors else JobRun.Status.SUCCEEDED
    run.error = "\n".join(errors or [])
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "status", "error", "finished_at"])
    metrics.JOB_RUNS.labels(name, run.status).inc()
    logger.info("job finished", extra={"job": name, "status": run.status, "counts": counts})
    return run


def run_housekeeping() -> dict:
    counts: dict = {}
    errors: list[str] = []
    for name, step in sorted(_housekeeping.items()):
        try:
            counts[name] = step()
        except Exception as exc:  # one failing step must not stop the others
            logger.exception("housekeeping step failed", extra={"step": name})
            errors.append(f"{name}: {exc!r}")
    if errors:
        counts["_errors"] = errors
    return counts

"""Celery tasks of transaction monitoring and risk rating: thin wrappers over the services."""

from celery import shared_task


@shared_task(name="compliance.monitor_entry")
def monitor_entry(entry_id: int) -> int:
    """Run the monitoring rules over one ledger entry (queued after its commit); returns
    how many alerts it raised. Safe to run twice."""
    from compliance.services.monitoring import monitor_entry as run

    return len(run(entry_id=entry_id))


@shared_task(name="compliance.monitor_entries")
def monitor_entries(entry_ids: list[int]) -> int:
    """Monitor entries posted together (the ledger's listener batches them); alerts raised."""
    from compliance.services.monitoring import monitor_entry as run

    return sum(len(run(entry_id=entry_id)) for entry_id in entry_ids)


@shared_task(name="compliance.monitor_daily", bind=True)
def monitor_daily(self, day: str | None = None) -> int:
    """The daily batch over the previous day's entries (or ``day``, ISO), recorded as a JobRun."""
    from datetime import date

    from blockscore import jobs
    from compliance.services.monitoring import monitor_daily as run

    target = date.fromisoformat(day) if day else None
    job = jobs.run_job("compliance_monitor_daily", lambda: run(day=target), task_id=self.request.id or "")
    return job.pk


@shared_task(name="compliance.recalculate_risk")
def recalculate_risk(user_id: int, trigger: str) -> str:
    """Rate a customer again (e.g. after a KYC decision); returns the level."""
    from django.contrib.auth import get_user_model

    from compliance.services.risk import risk_recalculate

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return ""
    return risk_recalculate(user=user, trigger=trigger).level

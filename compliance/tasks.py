"""Celery tasks of compliance: thin wrappers over the services."""

from celery import shared_task


@shared_task(name="compliance.rescan", bind=True)
def rescan(self, trigger: str = "weekly") -> int:
    """Screen every active customer against the latest watchlists (after an import, and
    weekly); recorded as a JobRun. Returns the JobRun id."""
    from blockscore import jobs
    from compliance.services.screening import rescan_all

    run = jobs.run_job("compliance_rescan", lambda: rescan_all(trigger=trigger), task_id=self.request.id or "")
    return run.pk

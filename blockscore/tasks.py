from celery import shared_task

from blockscore import jobs


@shared_task(name="blockscore.housekeeping", bind=True)
def housekeeping(self):
    run = jobs.run_job("housekeeping", jobs.run_housekeeping, task_id=self.request.id or "")
    return run.pk

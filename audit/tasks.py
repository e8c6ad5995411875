from celery import shared_task

from audit.services import audit_chain_extend
from blockscore import jobs


def run_chain_pending() -> dict:
    return {"chained": audit_chain_extend()}


@shared_task(name="audit.chain_pending", bind=True)
def chain_pending(self):
    """The safety net of after-commit chaining: chain events whose writer died before chaining them."""
    run = jobs.run_job("audit_chain_pending", run_chain_pending, task_id=self.request.id or "")
    return run.pk

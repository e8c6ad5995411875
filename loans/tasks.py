"""Celery tasks of loans (imported by LoansConfig.ready so they are registered)."""

from celery import shared_task


@shared_task(name="loans.send_application_decision", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_application_decision(application_id: int) -> bool:
    from loans.services.decisions import application_decision_send

    return application_decision_send(application_id=application_id)

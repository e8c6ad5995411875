"""Celery tasks of loans (imported by LoansConfig.ready so they are registered)."""

from celery import shared_task


@shared_task(name="loans.send_application_decision", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_application_decision(application_id: int) -> bool:
    from loans.services.decisions import application_decision_send

    return application_decision_send(application_id=application_id)


@shared_task(name="loans.servicing")
def servicing(day: str | None = None) -> dict:
    """The daily servicing job (beat, just after midnight): accrual, due and overdue, fees, default."""
    from datetime import date

    from loans.services.servicing import servicing_run

    run = servicing_run(day=date.fromisoformat(day) if day else None)
    return {"day": run.day.isoformat(), "loans": run.loans_serviced, "defaulted": run.defaulted}


@shared_task(name="loans.collect_due")
def collect_due(day: str | None = None) -> dict:
    """Collect what is due from borrowers' wallets (beat, after servicing)."""
    from datetime import date

    from loans.services.repayments import collections_run

    return collections_run(day=date.fromisoformat(day) if day else None)


@shared_task(name="loans.send_due_reminders", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_due_reminders(installment_ids: list[int]) -> int:
    from loans.services.reminders import due_reminders_send

    return due_reminders_send(installment_ids=installment_ids)

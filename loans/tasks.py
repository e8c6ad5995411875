"""Celery tasks of loans (imported by LoansConfig.ready so they are registered)."""

from datetime import date

from celery import shared_task


@shared_task(name="loans.send_application_decision", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_application_decision(application_id: int) -> bool:
    from loans.services.decisions import application_decision_send

    return application_decision_send(application_id=application_id)


@shared_task(name="loans.servicing", bind=True)
def servicing(self, day: str | None = None) -> int:
    """The daily servicing job (beat, just after midnight): accrual, due and overdue, late
    fees, default, reminders; recorded as a JobRun. Returns the JobRun id."""
    from blockscore import jobs
    from loans.services.servicing import servicing_run

    def run() -> dict:
        done = servicing_run(day=date.fromisoformat(day) if day else None)
        return {
            "day": done.day.isoformat(),
            "loans": done.loans_serviced,
            "late_fees": done.late_fees_charged,
            "defaulted": done.defaulted,
            "reminders": done.reminders,
        }

    return jobs.run_job("loan_servicing", run, task_id=self.request.id or "").pk


@shared_task(name="loans.collect_due", bind=True)
def collect_due(self, day: str | None = None) -> int:
    """Collect what is due from borrowers' wallets (beat, after servicing); a JobRun."""
    from blockscore import jobs
    from loans.services.repayments import collections_run

    return jobs.run_job(
        "loan_collection",
        lambda: collections_run(day=date.fromisoformat(day) if day else None),
        task_id=self.request.id or "",
    ).pk


@shared_task(name="loans.send_due_reminders", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_due_reminders(installment_ids: list[int]) -> int:
    from loans.services.reminders import due_reminders_send

    return due_reminders_send(installment_ids=installment_ids)

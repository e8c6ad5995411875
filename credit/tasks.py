from celery import shared_task

from credit.services import scores


@shared_task(name="credit.send_score_alert", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_score_alert(alert_id: int) -> bool:
    return scores.score_alert_send(alert_id=alert_id)


@shared_task(name="credit.send_score_alerts", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_score_alerts(alert_ids: list[int]) -> int:
    """The nightly job's alerts, one task per batch; each alert is still e-mailed once."""
    return sum(scores.score_alert_send(alert_id=alert_id) for alert_id in alert_ids)


@shared_task(name="credit.nightly_rescore", bind=True)
def nightly_rescore(self):
    """Rescore every customer with survey answers (history only where something changed)."""
    from blockscore import jobs
    from credit.services.rescoring import rescore_all

    run = jobs.run_job("nightly_rescore", rescore_all, task_id=self.request.id or "")
    return run.pk

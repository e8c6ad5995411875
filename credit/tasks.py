from celery import shared_task

from audit.chain import ChainUnavailable
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


@shared_task(
    name="credit.submit_attestation",
    autoretry_for=(ChainUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def submit_attestation(attestation_id: int) -> str | None:
    """Write a score attestation on chain (idempotent: a confirmed one is never resent)."""
    from credit.services.attestations import attestation_submit

    attestation = attestation_submit(attestation_id=attestation_id)
    return attestation.status if attestation is not None else None

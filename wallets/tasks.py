from celery import shared_task

from blockscore import jobs
from wallets.models import Withdrawal
from wallets.services import lightning


@shared_task(name="wallets.lightning_withdrawal_pay")
def lightning_withdrawal_pay(withdrawal_id: int) -> str:
    """Pay a Lightning payout whose funds are held (queued when the hold commits).

    Errors are not retried here: the reconciler checks every pending payout each minute."""
    withdrawal = Withdrawal.objects.filter(pk=withdrawal_id).first()
    if withdrawal is None:
        return "missing"
    return lightning.withdrawal_pay(withdrawal).status


@shared_task(name="wallets.lightning_reconcile", bind=True)
def lightning_reconcile(self):
    """Ask LNbits about every pending Lightning deposit and payout (polling, next to the webhook)."""
    run = jobs.run_job("lightning_reconcile", lightning.reconcile, task_id=self.request.id or "")
    return run.pk

"""Celery tasks of KYC (imported by ComplianceConfig.ready so they are registered)."""

from celery import shared_task


@shared_task(name="compliance.send_kyc_decision", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_kyc_decision(submission_id: int) -> bool:
    from compliance.services.kyc import kyc_decision_send

    return kyc_decision_send(submission_id=submission_id)


@shared_task(name="compliance.screen_kyc_submission")
def screen_kyc_submission(submission_id: int) -> int | None:
    """Screen a new (or resubmitted) identity against the sanctions lists; the result's id."""
    from compliance.models import KycSubmission
    from compliance.services.screening import screen_customer

    submission = KycSubmission.objects.select_related("user").filter(pk=submission_id).first()
    if submission is None:
        return None
    return screen_customer(user=submission.user, trigger="kyc_submission").pk


@shared_task(name="compliance.screen_customer")
def screen_customer_task(user_id: int, trigger: str) -> int | None:
    """Screen one customer now (after a change of name or date of birth)."""
    from accounts.models import User
    from compliance.services.screening import screen_customer

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    return screen_customer(user=user, trigger=trigger).pk

from celery import shared_task

from accounts import services


@shared_task(name="accounts.send_security_notice", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_security_notice(user_id: int, kind: str) -> bool:
    return services.security_notice_send(user_id=user_id, kind=kind)

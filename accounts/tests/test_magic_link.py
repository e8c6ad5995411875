import re

import pytest
import time_machine
from django.core import mail

from accounts.models import MagicLink
from accounts.tests.factories import add_totp, totp_code
from audit.models import SecurityEvent

pytestmark = pytest.mark.django_db
REQUEST = "/api/v1/auth/magic-link"
VERIFY = "/api/v1/auth/magic-link/verify"


def token_from_mail() -> str:
    return re.search(r"token=([A-Za-z0-9_\-]+)", mail.outbox[-1].body).group(1)


def test_magic_link_is_mailed_and_logs_in_once(api_client, user):
    response = api_client.post(REQUEST, {"email": user.email}, format="json")

    assert response.status_code == 202
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    token = token_from_mail()
    assert not MagicLink.objects.filter(token_hash=token).exists()  # only a hash is stored
    first = api_client.post(VERIFY, {"token": token}, format="json")
    assert first.status_code == 200 and first.json()["tokens"]["access"]
    second = api_client.post(VERIFY, {"token": token}, format="json")
    assert second.status_code == 401 and second.json()["code"] == "invalid_magic_link"
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert SecurityEvent.objects.filter(event_type="magic_link_used", user=user).count() == 1


def test_unknown_email_gets_the_same_answer_and_no_mail(api_client, user):
    known = api_client.post(REQUEST, {"email": user.email}, format="json")
    unknown = api_client.post(REQUEST, {"email": "nobody@example.com"}, format="json")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(mail.outbox) == 1


def test_magic_link_expires_after_fifteen_minutes(api_client, user):
    with time_machine.travel("2026-11-22 10:00:00+00:00", tick=False):
        api_client.post(REQUEST, {"email": user.email}, format="json")
    token = token_from_mail()

    with time_machine.travel("2026-11-22 10:15:01+00:00", tick=False):
        response = api_client.post(VERIFY, {"token": token}, format="json")

    assert response.status_code == 401


def test_magic_link_still_needs_the_second_factor(api_client, user):
    device = add_totp(user)
    api_client.post(REQUEST, {"email": user.email}, format="json")

    body = api_client.post(VERIFY, {"token": token_from_mail()}, format="json").json()

    assert body["mfa_required"] is True and "tokens" not in body
    done = api_client.post(
        "/api/v1/auth/login/mfa", {"mfa_token": body["mfa_token"], "code": totp_code(device)}, format="json"
    )
    assert done.status_code == 200


def test_forged_magic_link_token_is_refused(api_client):
    assert api_client.post(VERIFY, {"token": "x" * 43}, format="json").status_code == 401


def test_magic_links_per_address_are_capped_silently(api_client, user, settings):
    settings.ENABLE_RATE_LIMITING = False  # isolate the per-address cap from the per-IP throttle
    for _ in range(5):
        assert api_client.post(REQUEST, {"email": user.email}, format="json").status_code == 202

    assert len(mail.outbox) == 3

import time

import pytest
import time_machine
from django.test import override_settings

from accounts.tests.factories import UserFactory, add_totp, totp_code
from audit.models import SecurityEvent

LOGIN = "/api/v1/auth/login"
LOGIN_MFA = "/api/v1/auth/login/mfa"
pytestmark = pytest.mark.django_db


def login(client, email, password):
    return client.post(LOGIN, {"email": email, "password": password}, format="json")


def test_login_without_mfa_returns_tokens(api_client, user, password):
    response = login(api_client, user.email, password)

    assert response.status_code == 200
    body = response.json()
    assert body["mfa_required"] is False
    assert body["tokens"]["mfa"] is False
    assert body["tokens"]["expires_in"] == 300
    assert SecurityEvent.objects.filter(event_type="user_login", user=user).exists()


def test_login_email_is_case_insensitive(api_client, user, password):
    assert login(api_client, user.email.upper(), password).status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(api_client, user):
    wrong = login(api_client, user.email, "not-the-password")
    unknown = login(api_client, "nobody@example.com", "not-the-password")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    assert SecurityEvent.objects.filter(event_type="login_failed").count() == 2


def test_inactive_user_cannot_log_in(api_client, password):
    user = UserFactory(is_active=False)

    assert login(api_client, user.email, password).status_code == 401


@override_settings(LOGIN_FAILURE_LIMIT_PER_ACCOUNT=3)
def test_repeated_failures_lock_the_account_even_for_the_right_password(api_client, user, password):
    for _ in range(3):
        assert login(api_client, user.email, "wrong-password").status_code == 401

    locked = login(api_client, user.email, password)

    assert locked.status_code == 429
    assert locked.json()["code"] == "login_locked"
    assert int(locked["Retry-After"]) > 0
    assert SecurityEvent.objects.filter(event_type="account_locked", user=user).count() == 1


@override_settings(LOGIN_FAILURE_LIMIT_PER_ACCOUNT=3)
def test_lockout_answer_is_the_same_for_a_missing_account(api_client):
    for _ in range(3):
        login(api_client, "ghost@example.com", "wrong-password")

    locked = login(api_client, "ghost@example.com", "wrong-password")

    assert locked.status_code == 429
    assert locked.json()["detail"] == "Too many failed attempts. Try again later."


@override_settings(LOGIN_FAILURE_LIMIT_PER_ACCOUNT=3, LOGIN_LOCKOUT_SECONDS=1)
def test_lock_ends_after_the_cool_off(api_client, user, password):
    for _ in range(3):
        login(api_client, user.email, "wrong-password")
    assert login(api_client, user.email, password).status_code == 429

    time.sleep(1.2)

    assert login(api_client, user.email, password).status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT_PER_ACCOUNT=3)
def test_a_success_resets_the_failure_count(api_client, user, password):
    login(api_client, user.email, "wrong-password")
    login(api_client, user.email, "wrong-password")
    assert login(api_client, user.email, password).status_code == 200

    login(api_client, user.email, "wrong-password")
    login(api_client, user.email, "wrong-password")

    assert login(api_client, user.email, password).status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT_PER_IP=4, LOGIN_FAILURE_LIMIT_PER_ACCOUNT=100)
def test_failures_across_accounts_lock_the_client_address(api_client):
    for n in range(4):
        login(api_client, f"target{n}@example.com", "wrong-password")
    user = UserFactory()

    response = login(api_client, user.email, "Sturdy-Passphrase-42")

    assert response.status_code == 429
    assert SecurityEvent.objects.filter(event_type="account_locked", details__scope="ip").exists()


def test_login_with_totp_requires_second_step(api_client, user, password):
    device = add_totp(user)

    first = login(api_client, user.email, password)

    assert first.status_code == 200
    body = first.json()
    assert body["mfa_required"] is True and "tokens" not in body
    second = api_client.post(LOGIN_MFA, {"mfa_token": body["mfa_token"], "code": totp_code(device)}, format="json")
    assert second.status_code == 200
    assert second.json()["mfa"] is True
    assert SecurityEvent.objects.filter(event_type="user_login", user=user, details__mfa=True).exists()


def test_mfa_token_is_single_use(api_client, user, password):
    device = add_totp(user)
    mfa_token = login(api_client, user.email, password).json()["mfa_token"]
    assert (
        api_client.post(LOGIN_MFA, {"mfa_token": mfa_token, "code": totp_code(device)}, format="json").status_code
        == 200
    )

    again = api_client.post(
        LOGIN_MFA, {"mfa_token": mfa_token, "code": totp_code(device, offset_steps=1)}, format="json"
    )

    assert again.status_code == 401
    assert again.json()["code"] == "invalid_mfa_token"


def test_wrong_mfa_code_is_refused_and_recorded(api_client, user, password):
    add_totp(user)
    mfa_token = login(api_client, user.email, password).json()["mfa_token"]

    response = api_client.post(LOGIN_MFA, {"mfa_token": mfa_token, "code": "000000"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_mfa_code"
    assert SecurityEvent.objects.filter(event_type="mfa_failed", user=user).exists()


@override_settings(MFA_CHALLENGE_MAX_ATTEMPTS=2)
def test_mfa_challenge_dies_after_too_many_wrong_codes(api_client, user, password):
    device = add_totp(user)
    mfa_token = login(api_client, user.email, password).json()["mfa_token"]
    for _ in range(2):
        api_client.post(LOGIN_MFA, {"mfa_token": mfa_token, "code": "000000"}, format="json")

    response = api_client.post(LOGIN_MFA, {"mfa_token": mfa_token, "code": totp_code(device)}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_mfa_token"


def test_expired_mfa_challenge_is_refused(api_client, user, password):
    device = add_totp(user)
    with time_machine.travel("2026-11-22 10:00:00+00:00", tick=False):
        mfa_token = login(api_client, user.email, password).json()["mfa_token"]
    with time_machine.travel("2026-11-22 10:06:00+00:00", tick=False):
        response = api_client.post(LOGIN_MFA, {"mfa_token": mfa_token, "code": totp_code(device)}, format="json")

    assert response.status_code == 401


def test_backup_code_completes_login_once(api_client, user, password):
    from accounts import services

    device = add_totp(user)
    codes = services._backup_codes_replace(user)
    mfa_token = login(api_client, user.email, password).json()["mfa_token"]
    assert api_client.post(LOGIN_MFA, {"mfa_token": mfa_token, "code": codes[0]}, format="json").status_code == 200

    mfa_token = login(api_client, user.email, password).json()["mfa_token"]
    reused = api_client.post(LOGIN_MFA, {"mfa_token": mfa_token, "code": codes[0]}, format="json")

    assert reused.status_code == 400
    assert device  # the TOTP device is still there; only the backup code was spent


@override_settings(ENABLE_MFA=False)
def test_mfa_flag_off_skips_second_step(api_client, user, password):
    add_totp(user)

    body = login(api_client, user.email, password).json()

    assert body["mfa_required"] is False

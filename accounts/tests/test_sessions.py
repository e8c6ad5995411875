"""Refresh rotation, logout, and ending every session on password change or deactivation."""

import pytest
import time_machine

from accounts import services
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent, SecurityEvent
from conftest import client_for

pytestmark = pytest.mark.django_db
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


def bearer(client, access):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api_client, user):
    old = client_for(user).tokens

    rotated = api_client.post(REFRESH, {"refresh": old["refresh"]}, format="json")
    reused = api_client.post(REFRESH, {"refresh": old["refresh"]}, format="json")

    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != old["refresh"]
    assert bearer(api_client, rotated.json()["access"]).get(ME).status_code == 200
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    assert SecurityEvent.objects.filter(event_type="token_refreshed", user=user).count() == 1


def test_refresh_keeps_the_mfa_claim(api_client, user):
    pair = client_for(user, mfa=True).tokens

    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").json()["mfa"] is True


def test_refresh_refuses_an_access_token(api_client, user):
    pair = client_for(user).tokens

    assert api_client.post(REFRESH, {"refresh": pair["access"]}, format="json").status_code == 401


def test_refresh_token_expires(api_client, user):
    with time_machine.travel("2026-11-01 10:00:00+00:00", tick=False):
        pair = client_for(user).tokens
    with time_machine.travel("2026-11-09 10:00:00+00:00", tick=False):
        assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_access_token_expires_after_five_minutes(user):
    with time_machine.travel("2026-11-01 10:00:00+00:00", tick=False):
        client = client_for(user)
        assert client.get(ME).status_code == 200
    with time_machine.travel("2026-11-01 10:05:30+00:00", tick=False):
        response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_logout_ends_access_and_refresh_at_once(api_client, user):
    client = client_for(user)

    response = client.post(LOGOUT, {"refresh": client.tokens["refresh"]}, format="json")

    assert response.status_code == 204
    assert client.get(ME).status_code == 401
    assert api_client.post(REFRESH, {"refresh": client.tokens["refresh"]}, format="json").status_code == 401
    assert SecurityEvent.objects.filter(event_type="user_logout", user=user).exists()
    assert SecurityEvent.objects.filter(event_type="invalid_token").exists()


def test_logout_leaves_other_sessions_alive(user):
    phone, laptop = client_for(user), client_for(user)

    phone.post(LOGOUT, {"refresh": phone.tokens["refresh"]}, format="json")

    assert laptop.get(ME).status_code == 200


def test_logout_refuses_someone_elses_refresh_token(user, other_user):
    mine, theirs = client_for(user), client_for(other_user)

    response = mine.post(LOGOUT, {"refresh": theirs.tokens["refresh"]}, format="json")

    assert response.status_code == 401
    assert theirs.get(ME).status_code == 200
    assert mine.get(ME).status_code == 200


def test_logout_needs_authentication(api_client, user):
    pair = client_for(user).tokens

    response = api_client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_change_password_ends_other_sessions_but_not_this_one(api_client, user, password):
    current, other = client_for(user), client_for(user)

    response = current.post(
        "/api/v1/auth/change-password",
        {"current_password": password, "new_password": "Another-Sturdy-Passphrase-7"},
        format="json",
    )

    assert response.status_code == 200
    assert other.get(ME).status_code == 401
    assert api_client.post(REFRESH, {"refresh": other.tokens["refresh"]}, format="json").status_code == 401
    assert bearer(api_client, response.json()["access"]).get(ME).status_code == 200
    user.refresh_from_db()
    assert user.check_password("Another-Sturdy-Passphrase-7")
    assert AuditEvent.objects.filter(action="user.password_changed", actor=user).exists()


def test_change_password_refuses_wrong_current_password(user):
    client = client_for(user)

    response = client.post(
        "/api/v1/auth/change-password",
        {"current_password": "wrong", "new_password": "Another-Sturdy-Passphrase-7"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_password"
    assert client.get(ME).status_code == 200


def test_change_password_refuses_weak_new_password(user, password):
    response = client_for(user).post(
        "/api/v1/auth/change-password", {"current_password": password, "new_password": "short"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    user.refresh_from_db()
    assert user.check_password(password)


def test_deactivation_ends_every_session(api_client, user):
    admin = UserFactory(roles=["administrator"], is_staff=True)
    client = client_for(user)

    services.user_deactivate(user=user, actor=admin, reason="fraud")

    assert client.get(ME).status_code == 401
    assert api_client.post(REFRESH, {"refresh": client.tokens["refresh"]}, format="json").status_code == 401
    event = AuditEvent.objects.get(action="user.deactivated")
    assert event.actor == admin and event.metadata == {"reason": "fraud"}

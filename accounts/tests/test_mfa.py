import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import add_totp, totp_code
from audit.models import AuditEvent, SecurityEvent
from conftest import client_for

pytestmark = pytest.mark.django_db
ENROL = "/api/v1/auth/mfa/totp"
CONFIRM = "/api/v1/auth/mfa/totp/confirm"
BACKUP = "/api/v1/auth/mfa/backup-codes"


def test_enrol_then_confirm_turns_on_totp(user):
    client = client_for(user)

    enrol = client.post(ENROL)

    assert enrol.status_code == 200
    body = enrol.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert body["secret"] in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    confirm = client.post(CONFIRM, {"code": totp_code(device)}, format="json")
    assert confirm.status_code == 200
    assert len(confirm.json()["backup_codes"]) == 10
    assert confirm.json()["tokens"]["mfa"] is True
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/api/v1/auth/me").json()["mfa_enabled"] is True
    assert AuditEvent.objects.filter(action="mfa.totp_enrolled", actor=user).exists()
    assert SecurityEvent.objects.filter(event_type="mfa_enrolled", user=user).exists()


def test_confirm_with_wrong_code_keeps_totp_off(user):
    client = client_for(user)
    client.post(ENROL)

    response = client.post(CONFIRM, {"code": "123456"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_mfa_code"
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_confirm_without_enrolment_is_a_conflict(user):
    response = client_for(user).post(CONFIRM, {"code": "123456"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "mfa_enrolment_missing"


def test_enrol_again_when_enabled_is_a_conflict(user):
    add_totp(user)

    response = client_for(user).post(ENROL)

    assert response.status_code == 409
    assert response.json()["code"] == "mfa_already_enabled"


def test_restarting_enrolment_replaces_the_pending_secret(user):
    client = client_for(user)
    first = client.post(ENROL).json()["secret"]

    second = client.post(ENROL).json()["secret"]

    assert first != second
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_disable_needs_a_current_code(user):
    device = add_totp(user)
    client = client_for(user, mfa=True)

    refused = client.delete(ENROL, {"code": "000000"}, format="json")
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=user).exists()

    accepted = client.delete(ENROL, {"code": totp_code(device)}, format="json")
    assert accepted.status_code == 204
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="mfa.totp_disabled").exists()


def test_disable_when_not_enabled_is_a_conflict(user):
    response = client_for(user).delete(ENROL, {"code": "123456"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "mfa_not_enabled"


def test_backup_codes_are_replaced_with_a_current_code(user):
    device = add_totp(user)
    client = client_for(user, mfa=True)

    response = client.post(BACKUP, {"code": totp_code(device)}, format="json")

    assert response.status_code == 200
    codes = response.json()["backup_codes"]
    assert len(set(codes)) == 10
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == set(codes)


def test_mfa_endpoints_need_authentication(api_client):
    for method, url in [("post", ENROL), ("post", CONFIRM), ("delete", ENROL), ("post", BACKUP)]:
        assert getattr(api_client, method)(url, {"code": "1"}, format="json").status_code == 401

import pytest
from django.core import mail
from django.test import override_settings

from accounts.tests.factories import add_totp, totp_code
from conftest import client_for

pytestmark = pytest.mark.django_db


def test_password_change_mails_a_notice_after_commit(user, password, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client_for(user).post(
            "/api/v1/auth/change-password",
            {"current_password": password, "new_password": "Another-Sturdy-Passphrase-7"},
            format="json",
        )

    assert len(callbacks) == 1
    assert [m.subject for m in mail.outbox] == ["Your BlockScore password was changed"]
    assert mail.outbox[0].to == [user.email]


def test_failed_password_change_queues_nothing(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client_for(user).post(
            "/api/v1/auth/change-password",
            {"current_password": "wrong", "new_password": "Another-Sturdy-Passphrase-7"},
            format="json",
        )

    assert callbacks == [] and mail.outbox == []


def test_disabling_mfa_mails_a_notice(user, django_capture_on_commit_callbacks):
    device = add_totp(user)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(user, mfa=True).delete("/api/v1/auth/mfa/totp", {"code": totp_code(device)}, format="json")

    assert [m.subject for m in mail.outbox] == ["Two-factor authentication was turned off"]


@override_settings(LOGIN_FAILURE_LIMIT_PER_ACCOUNT=2)
def test_account_lock_mails_the_owner_once(api_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            api_client.post("/api/v1/auth/login", {"email": user.email, "password": "wrong"}, format="json")

    assert [m.subject for m in mail.outbox] == ["Sign-in to your BlockScore account was paused"]

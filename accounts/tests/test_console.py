"""The staff console for users, through Django's test client (the browser test is in tests/browser)."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from conftest import client_for, console_for

pytestmark = pytest.mark.django_db


def change_form(user, **fields) -> dict:
    """The POST body of the user change form, with the read-only profile inline's management form."""
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": str(user.profile.pk),
        "profile-0-user": str(user.pk),
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_console_needs_a_verified_second_factor(make_staff):
    staff = make_staff("administrator")

    assert console_for(staff, verified=False).get("/admin/").status_code == 302
    assert console_for(staff).get("/admin/").status_code == 200


def test_customers_cannot_enter_the_console(user):
    client = Client()
    client.force_login(user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_deactivating_in_the_console_ends_sessions_and_is_audited(make_staff):
    admin = make_staff("administrator")
    admin.is_superuser = True
    admin.save()
    customer = UserFactory()
    api = client_for(customer)
    console = console_for(admin)

    response = console.post(
        f"/admin/accounts/user/{customer.pk}/change/",
        change_form(customer, groups=[Group.objects.get(name="customer").pk]),
    )

    assert response.status_code == 302, response.content[:2000]
    customer.refresh_from_db()
    assert not customer.is_active
    assert api.get("/api/v1/auth/me").status_code == 401
    assert AuditEvent.objects.filter(action="user.deactivated", actor=admin).exists()


def test_role_assignment_in_the_console_is_audited(make_staff):
    admin = make_staff("administrator")
    admin.is_superuser = True
    admin.save()
    target = UserFactory()

    console_for(admin).post(
        f"/admin/accounts/user/{target.pk}/change/",
        change_form(target, is_active="on", is_staff="on", groups=[Group.objects.get(name="loan officer").pk]),
    )

    target.refresh_from_db()
    assert target.is_staff and target.roles == ["loan officer"]
    event = AuditEvent.objects.get(action="user.roles_changed")
    assert event.changes["roles"] == {"before": ["customer"], "after": ["loan officer"]}
    assert event.changes["is_staff"] == {"before": False, "after": True}


def test_deactivate_action_skips_yourself(make_staff):
    admin = make_staff("administrator")
    admin.is_superuser = True
    admin.save()
    customer = UserFactory()

    console_for(admin).post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [customer.pk, admin.pk]},
    )

    customer.refresh_from_db()
    admin.refresh_from_db()
    assert not customer.is_active and admin.is_active


def test_users_cannot_be_deleted_in_the_console(make_staff):
    admin = make_staff("administrator")
    admin.is_superuser = True
    admin.save()
    customer = UserFactory()

    response = console_for(admin).post(f"/admin/accounts/user/{customer.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert type(customer).objects.filter(pk=customer.pk).exists()


def test_auditor_sees_users_but_cannot_change_them(make_staff):
    auditor = make_staff("auditor")
    customer = UserFactory()
    console = console_for(auditor)

    assert console.get("/admin/accounts/user/").status_code == 200
    response = console.post(
        f"/admin/accounts/user/{customer.pk}/change/",
        change_form(customer, first_name="Changed", is_active="on"),
    )

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.first_name != "Changed"


def console_login(client, email, password, code):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password, "otp_token": code})


def test_console_login_takes_password_and_code_in_one_step(make_staff, password):
    from accounts.tests.factories import totp_code
    from audit.models import SecurityEvent

    staff = make_staff("operations")
    client = Client()

    response = console_login(client, staff.email, password, totp_code(staff.totp_device))

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert SecurityEvent.objects.filter(event_type="user_login", user=staff, details__method="console").exists()


def test_console_login_accepts_a_backup_code(make_staff, password):
    from accounts import services

    staff = make_staff("operations")
    codes = services._backup_codes_replace(staff)

    response = console_login(Client(), staff.email, password, codes[0])

    assert response.status_code == 302


def test_console_login_with_a_wrong_code_is_refused_and_recorded(make_staff, password):
    from audit.models import SecurityEvent

    staff = make_staff("operations")

    response = console_login(Client(), staff.email, password, "000000")

    assert response.status_code == 200
    assert SecurityEvent.objects.filter(event_type="mfa_failed", user=staff, details__stage="console").exists()


def test_console_login_shares_the_api_lockout(make_staff, password, settings):
    from accounts.tests.factories import totp_code

    settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT = 3
    staff = make_staff("operations")
    for _ in range(3):
        console_login(Client(), staff.email, "wrong-password", "000000")

    console = console_login(Client(), staff.email, password, totp_code(staff.totp_device))
    api = Client().post(
        "/api/v1/auth/login", {"email": staff.email, "password": password}, content_type="application/json"
    )

    assert console.status_code == 200
    assert "Too many failed attempts" in console.content.decode()
    assert api.status_code == 429

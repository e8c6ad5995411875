import pytest

from audit.models import AuditEvent
from conftest import client_for

pytestmark = pytest.mark.django_db
ME = "/api/v1/auth/me"
PROFILE = "/api/v1/profile"
PREFERENCES = "/api/v1/profile/preferences"


def test_me_shows_the_signed_in_user(auth_client, user):
    body = auth_client.get(ME).json()

    assert body["id"] == str(user.public_id)
    assert body["email"] == user.email
    assert body["roles"] == ["customer"]
    assert "password" not in body and "token_version" not in body


def test_me_patch_changes_names_and_is_audited(auth_client, user):
    response = auth_client.patch(ME, {"first_name": "Grace"}, format="json")

    assert response.status_code == 200
    assert response.json()["first_name"] == "Grace"
    event = AuditEvent.objects.get(action="user.updated")
    assert event.changes["first_name"]["after"] == "Grace"


@pytest.mark.parametrize(
    "field, value",
    [
        ("is_staff", True),
        ("roles", ["administrator"]),
        ("email_verified", True),
        ("email", "x@example.com"),
        ("is_superuser", True),
        ("id", "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_me_patch_refuses_privileged_fields(auth_client, user, field, value):
    response = auth_client.patch(ME, {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    user.refresh_from_db()
    assert not user.is_staff and not user.is_superuser
    assert user.roles == ["customer"]


def test_me_needs_authentication(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_profile_update_normalises_phone_and_is_audited(auth_client, user):
    response = auth_client.patch(
        PROFILE,
        {
            "phone": "+44 20 7946 0958",
            "country": "GB",
            "city": "London",
            "date_of_birth": "1990-05-17",
            "last_name": "Hopper",
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == "+442079460958"
    assert body["country"] == "GB" and body["date_of_birth"] == "1990-05-17"
    assert body["last_name"] == "Hopper"
    user.refresh_from_db()
    assert user.profile.city == "London" and user.last_name == "Hopper"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"profile.updated", "user.updated"} <= actions


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"phone": "12345"}, "phone"),
        ({"country": "XX"}, "country"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "not-a-date"}, "date_of_birth"),
        ({"email": "new@example.com"}, "email"),
        ({"user": 1}, "user"),
    ],
)
def test_profile_refuses_bad_values(auth_client, user, payload, field):
    response = auth_client.patch(PROFILE, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not AuditEvent.objects.filter(action="profile.updated").exists()


def test_profile_is_per_user(user, other_user):
    client_for(user).patch(PROFILE, {"city": "Lagos"}, format="json")

    assert client_for(other_user).get(PROFILE).json()["city"] == ""


def test_preferences_defaults_and_update(auth_client):
    assert auth_client.get(PREFERENCES).json()["theme"] == "system"

    response = auth_client.patch(
        PREFERENCES, {"theme": "dark", "language": "fr", "notify_marketing": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["theme"] == "dark"
    assert auth_client.get(PREFERENCES).json()["language"] == "fr"
    assert AuditEvent.objects.filter(action="preferences.updated").exists()


def test_preferences_refuse_unknown_choices(auth_client):
    response = auth_client.patch(PREFERENCES, {"theme": "neon"}, format="json")

    assert response.status_code == 400
    assert "theme" in response.json()["errors"]


def test_unchanged_values_write_no_audit_record(auth_client):
    auth_client.patch(PREFERENCES, {"theme": "system"}, format="json")

    assert not AuditEvent.objects.filter(action="preferences.updated").exists()


def test_profile_endpoints_need_authentication(api_client):
    assert api_client.get(PROFILE).status_code == 401
    assert api_client.patch(PREFERENCES, {"theme": "dark"}, format="json").status_code == 401

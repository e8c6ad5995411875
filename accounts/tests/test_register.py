import pytest
from django.contrib.auth.models import Group

from accounts.models import Preferences, Profile, User
from audit.models import AuditEvent, SecurityEvent

URL = "/api/v1/auth/register"
pytestmark = pytest.mark.django_db


def test_register_creates_customer_with_profile_and_tokens(api_client):
    response = api_client.post(
        URL, {"email": "Ada@Example.com", "password": "Analytical-Engine-1843", "first_name": "Ada"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["roles"] == ["customer"]
    assert body["tokens"]["access"] and body["tokens"]["refresh"]
    user = User.objects.get(email="ada@example.com")
    assert user.check_password("Analytical-Engine-1843")
    assert Profile.objects.filter(user=user).exists() and Preferences.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="user.registered", target_id=str(user.public_id)).exists()
    assert SecurityEvent.objects.filter(event_type="user_registered", user=user).exists()


def test_registered_user_can_use_access_token(api_client):
    response = api_client.post(URL, {"email": "b@example.com", "password": "Analytical-Engine-1843"}, format="json")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer " + response.json()["tokens"]["access"])

    assert api_client.get("/api/v1/auth/me").json()["email"] == "b@example.com"


def test_register_refuses_taken_email_case_insensitively(api_client, user):
    response = api_client.post(URL, {"email": user.email.upper(), "password": "Analytical-Engine-1843"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert User.objects.filter(email__iexact=user.email).count() == 1


def test_register_refuses_weak_password_and_writes_nothing(api_client):
    response = api_client.post(URL, {"email": "weak@example.com", "password": "12345678"}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "weak_password"
    assert "password" in response.json()["errors"]
    assert not User.objects.filter(email="weak@example.com").exists()
    assert not AuditEvent.objects.filter(action="user.registered").exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"password": "Analytical-Engine-1843"}, "email"),
        ({"email": "not-an-email", "password": "Analytical-Engine-1843"}, "email"),
        ({"email": "c@example.com"}, "password"),
        ({"email": "c@example.com", "password": "Analytical-Engine-1843", "is_staff": True}, "is_staff"),
        ({"email": "c@example.com", "password": "Analytical-Engine-1843", "roles": ["administrator"]}, "roles"),
    ],
)
def test_register_validation_errors_name_the_field(api_client, payload, field):
    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not User.objects.filter(email="c@example.com").exists()


def test_register_cannot_grant_staff_or_roles(api_client):
    api_client.post(URL, {"email": "d@example.com", "password": "Analytical-Engine-1843"}, format="json")

    user = User.objects.get(email="d@example.com")
    assert not user.is_staff and not user.is_superuser
    assert list(user.groups.all()) == [Group.objects.get(name="customer")]

import csv
import io

import pytest

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/admin/users"


@pytest.mark.parametrize("role", ["administrator", "auditor", "compliance officer", "operations", "loan officer"])
def test_staff_roles_with_view_user_can_list_users(staff_client, role):
    UserFactory.create_batch(3)

    response = staff_client(role).get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 4  # three customers and the staff member


def test_customer_is_refused(auth_client):
    response = auth_client.get(URL)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_staff_session_without_mfa_is_refused(make_staff):
    staff = make_staff("administrator")

    response = client_for(staff, mfa=False).get(URL)

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_staff_without_a_role_is_refused(make_staff):
    staff = make_staff()

    assert client_for(staff, mfa=True).get(URL).status_code == 403


def test_anonymous_is_refused(api_client):
    assert api_client.get(URL).status_code == 401


def test_filters_by_role_activity_and_search(staff_client):
    client = staff_client("auditor")
    UserFactory(email="alice@lender.test", first_name="Alice")
    UserFactory(email="bob@lender.test", is_active=False)

    assert client.get(URL, {"role": "customer"}).json()["count"] == 2
    assert client.get(URL, {"role": "auditor"}).json()["count"] == 1
    assert client.get(URL, {"is_active": "false"}).json()["count"] == 1
    results = client.get(URL, {"search": "alice"}).json()["results"]
    assert [row["email"] for row in results] == ["alice@lender.test"]
    assert results[0]["roles"] == ["customer"]


def test_csv_export_has_every_matching_row_and_is_audited(staff_client):
    client = staff_client("administrator")
    UserFactory.create_batch(30)
    UserFactory(first_name='=HYPERLINK("http://evil")')

    response = client.get(URL, {"format": "csv", "role": "customer", "page_size": 5})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 31
    assert any(row["first_name"].startswith("'=") for row in rows)
    assert AuditEvent.objects.filter(action="audit.exported", target_id="users").exists()


def test_pagination(staff_client):
    client = staff_client("administrator")
    UserFactory.create_batch(30)

    body = client.get(URL, {"page_size": 10}).json()

    assert body["count"] == 31 and len(body["results"]) == 10 and body["next"]


def test_refused_access_is_recorded_as_a_security_event(auth_client, user):
    from audit.models import SecurityEvent

    auth_client.get(URL)

    event = SecurityEvent.objects.get(event_type="unauthorized_access")
    assert event.user == user and event.severity == "high"
    assert event.details["path"] == URL and event.details["reason"] == "missing_role"

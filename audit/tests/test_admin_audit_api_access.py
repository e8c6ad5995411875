"""Who may read the security log and the audit trail through the API, and how."""

import pytest

from audit.models import SecurityEvent
from conftest import client_for

pytestmark = pytest.mark.django_db
URLS = ["/api/v1/admin/security-logs", "/api/v1/admin/audit-history"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("role", ["auditor", "compliance officer", "administrator"])
def test_roles_with_the_audit_view_permissions_can_read(staff_client, url, role):
    response = staff_client(role).get(url)

    assert response.status_code == 200
    assert set(response.json()) >= {"count", "next", "previous", "results"}


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("role", ["loan officer", "operations"])
def test_staff_roles_without_the_permission_are_refused(staff_client, url, role):
    response = staff_client(role).get(url)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("url", URLS)
def test_customer_is_refused_and_the_attempt_is_logged(auth_client, user, url):
    response = auth_client.get(url)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert SecurityEvent.objects.filter(event_type="unauthorized_access", user=user).exists()


@pytest.mark.parametrize("url", URLS)
def test_staff_token_without_mfa_is_refused_with_mfa_required(make_staff, url):
    staff = make_staff("auditor")

    response = client_for(staff, mfa=False).get(url)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "mfa_required"


@pytest.mark.parametrize("url", URLS)
def test_anonymous_gets_401_problem_details(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_lists_are_read_only(staff_client, url, method):
    client = staff_client("administrator")

    response = getattr(client, method)(url, {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("url", URLS)
def test_both_lists_are_in_the_openapi_schema_under_admin(staff_client, url):
    schema = staff_client("auditor").get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"][url]["get"]
    assert operation["tags"] == ["admin"]
    assert {"application/json", "text/csv"} <= set(operation["responses"]["200"]["content"])
    assert set(schema["paths"][url]) == {"get"}

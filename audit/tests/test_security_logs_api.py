"""GET /api/v1/admin/security-logs: filters, pagination, public ids, CSV export."""

import csv
import io

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from audit.services import security_event_record

pytestmark = pytest.mark.django_db
URL = "/api/v1/admin/security-logs"


@pytest.fixture
def events(in_request):
    """Six events: three failed logins from 10.0.0.1, a lockout, a login and a logout."""
    customer = UserFactory(email="carol@lender.test")
    in_request(ip="10.0.0.1", request_id="req-failed-logins")
    for _ in range(3):
        security_event_record(event_type="login_failed", email="mallory@evil.test")
    security_event_record(event_type="account_locked", user=customer)
    cut = timezone.now()
    in_request(ip="192.0.2.7", request_id="req-carol-login")
    security_event_record(event_type="user_login", user=customer, details={"method": "password"})
    security_event_record(event_type="user_logout", user=customer)
    return {"customer": customer, "cut": cut}


@pytest.fixture
def auditor(staff_client):
    return staff_client("auditor")


def count(client, **params) -> int:
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()["count"]


def test_auditor_lists_newest_first_with_users_by_public_id(auditor, events):
    response = auditor.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6
    first = body["results"][0]
    assert first["event_type"] == "user_logout"
    assert first["user"] == str(events["customer"].public_id)
    assert first["email"] == "carol@lender.test"
    assert first["ip"] == "192.0.2.7"
    assert first["severity"] == "info"
    assert events["customer"].pk not in [row["user"] for row in body["results"]]
    assert [row["event_type"] for row in body["results"]][-1] == "login_failed"


def test_filter_by_event_type_one_or_several(auditor, events):
    assert count(auditor, event_type="login_failed") == 3
    assert count(auditor, event_type=["login_failed", "account_locked"]) == 4


def test_filter_by_severity_accepts_several(auditor, events):
    assert count(auditor, severity="high") == 1
    assert count(auditor, severity=["high", "medium"]) == 4
    assert count(auditor, severity="critical") == 0


def test_filter_by_user_public_id_email_and_ip(auditor, events):
    assert count(auditor, user=str(events["customer"].public_id)) == 3
    assert count(auditor, email="MALLORY@") == 3
    assert count(auditor, ip="10.0.0.1") == 4
    assert count(auditor, ip="192.0.2.7", event_type="user_login") == 1


def test_filter_by_request_id(auditor, events):
    assert count(auditor, request_id="req-carol-login") == 2


def test_filter_by_time_window(auditor, events):
    cut = events["cut"].isoformat()

    assert count(auditor, created_after=cut) == 2
    assert count(auditor, created_before=cut) == 4


@pytest.mark.parametrize(
    "params, field",
    [
        ({"ip": "10.0.0"}, "ip"),
        ({"user": "42"}, "user"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"created_after": "yesterday"}, "created_after"),
    ],
)
def test_malformed_filters_are_a_400_with_field_errors(auditor, events, params, field):
    response = auditor.get(URL, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_pages_are_limited_and_linked(auditor, events):
    body = auditor.get(URL, {"page_size": 4}).json()

    assert body["count"] == 6
    assert len(body["results"]) == 4
    assert "page=2" in body["next"]
    second = auditor.get(URL, {"page_size": 4, "page": 2}).json()
    assert len(second["results"]) == 2
    assert second["next"] is None


def test_csv_export_streams_every_matching_row_with_a_header(auditor, events):
    response = auditor.get(URL, {"format": "csv", "page_size": 1, "severity": ["medium", "high"]})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "id,created_at,event_type,severity,user,email,ip,user_agent,request_id,details"
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert len(rows) == 4
    assert {row["event_type"] for row in rows} == {"login_failed", "account_locked"}
    locked = next(row for row in rows if row["event_type"] == "account_locked")
    assert locked["user"] == str(events["customer"].public_id)


def test_csv_export_is_recorded_in_the_audit_trail(auditor, events):
    response = auditor.get(URL, {"format": "csv", "severity": "high"})
    b"".join(response.streaming_content)

    export = AuditEvent.objects.get(action="audit.exported")
    assert export.actor_id == auditor.user.pk
    assert export.target_id == "security-logs"
    assert export.metadata["filters"] == {"format": ["csv"], "severity": ["high"]}


def test_csv_cells_that_look_like_formulas_are_escaped(auditor, db):
    security_event_record(event_type="login_failed", email='=HYPERLINK("http://evil.test","x")')
    security_event_record(event_type="login_failed", email="+1-555-0100@evil.test")

    response = auditor.get(URL, {"format": "csv"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    emails = sorted(row["email"] for row in rows)
    assert emails == ["'+1-555-0100@evil.test", '\'=HYPERLINK("http://evil.test","x")']

"""GET /api/v1/admin/audit-history: the chain as staff see it, filters, pagination, CSV."""

import csv
import io

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from audit.services import audit_event_record

pytestmark = pytest.mark.django_db
URL = "/api/v1/admin/audit-history"


@pytest.fixture
def events(in_request):
    """Five events: an officer changes a customer's names twice and deactivates them; the system acts twice."""
    officer = UserFactory(is_staff=True, roles=["administrator"], email="officer@lender.test")
    customer = UserFactory(email="dave@lender.test")
    in_request(ip="198.51.100.4", request_id="req-officer-session")
    audit_event_record(
        action="user.updated",
        actor=officer,
        target=customer,
        changes={"first_name": {"before": "Dave", "after": "David"}},
    )
    audit_event_record(
        action="user.updated",
        actor=officer,
        target=customer,
        changes={"last_name": {"before": "Smith", "after": "Smyth"}},
    )
    audit_event_record(action="user.deactivated", actor=officer, target=customer, metadata={"reason": "fraud"})
    cut = timezone.now()
    in_request(request_id="req-nightly-job")
    audit_event_record(action="user.sessions_revoked", target=customer)
    audit_event_record(action="preferences.updated", target_type="accounts.preferences", target_id="7")
    return {"officer": officer, "customer": customer, "cut": cut}


@pytest.fixture
def auditor(staff_client):
    return staff_client("auditor")


def count(client, **params) -> int:
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()["count"]


def test_auditor_reads_the_chain_newest_first_with_hashes_and_public_ids(auditor, events):
    response = auditor.get(URL)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["sequence"] for row in results] == [5, 4, 3, 2, 1]
    by_sequence = {row["sequence"]: row for row in results}
    for sequence in range(2, 6):
        assert by_sequence[sequence]["prev_hash"] == by_sequence[sequence - 1]["hash"]
    assert by_sequence[5]["hash"] == AuditEvent.objects.get(sequence=5).hash
    deactivated = by_sequence[3]
    assert deactivated["action"] == "user.deactivated"
    assert deactivated["actor"] == str(events["officer"].public_id)
    assert deactivated["actor_repr"] == "officer@lender.test"
    assert deactivated["target_type"] == "accounts.user"
    assert deactivated["target_id"] == str(events["customer"].public_id)
    assert deactivated["metadata"] == {"reason": "fraud"}
    assert by_sequence[1]["changes"] == {"first_name": {"before": "Dave", "after": "David"}}
    assert by_sequence[4]["actor"] is None
    assert "id" not in deactivated


def test_filter_by_action_one_or_several(auditor, events):
    assert count(auditor, action="user.updated") == 2
    assert count(auditor, action=["user.updated", "user.deactivated"]) == 3
    assert count(auditor, action="mfa.totp_enrolled") == 0


def test_filter_by_actor_public_id(auditor, events):
    assert count(auditor, actor=str(events["officer"].public_id)) == 3
    assert count(auditor, actor=str(events["customer"].public_id)) == 0


def test_filter_by_target(auditor, events):
    customer_id = str(events["customer"].public_id)

    assert count(auditor, target_type="accounts.user") == 4
    assert count(auditor, target_type="accounts.user", target_id=customer_id) == 4
    assert count(auditor, target_type="accounts.preferences", target_id="7") == 1


def test_filter_by_request_id(auditor, events):
    assert count(auditor, request_id="req-officer-session") == 3
    assert count(auditor, request_id="req-nightly-job") == 2


def test_filter_by_time_window(auditor, events):
    cut = events["cut"].isoformat()

    assert count(auditor, occurred_after=cut) == 2
    assert count(auditor, occurred_before=cut) == 3


def test_filter_by_sequence_range_is_inclusive(auditor, events):
    assert count(auditor, sequence_from=2, sequence_to=4) == 3
    assert count(auditor, sequence_from=5) == 1
    assert count(auditor, sequence_to=1) == 1


def test_ordering_by_sequence_ascending(auditor, events):
    results = auditor.get(URL, {"ordering": "sequence"}).json()["results"]

    assert [row["sequence"] for row in results] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"actor": "1"}, "actor"),
        ({"action": "user.teleported"}, "action"),
        ({"sequence_from": "abc"}, "sequence_from"),
        ({"sequence_to": str(10**30)}, "sequence_to"),
    ],
)
def test_malformed_filters_are_a_400_with_field_errors(auditor, events, params, field):
    response = auditor.get(URL, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_pages_are_limited_and_linked(auditor, events):
    body = auditor.get(URL, {"page_size": 2}).json()

    assert body["count"] == 5
    assert [row["sequence"] for row in body["results"]] == [5, 4]
    assert "page=2" in body["next"]
    last = auditor.get(URL, {"page_size": 2, "page": 3}).json()
    assert [row["sequence"] for row in last["results"]] == [1]


def test_csv_export_streams_every_matching_row_with_the_chain_columns(auditor, events):
    response = auditor.get(URL, {"format": "csv", "page_size": 1, "target_type": "accounts.user"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == (
        "sequence,occurred_at,actor,actor_repr,action,target_type,target_id,changes,metadata,"
        "ip,user_agent,request_id,prev_hash,hash"
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(row["sequence"]) for row in rows] == [4, 3, 2, 1]
    stored = {event.sequence: event for event in AuditEvent.objects.all()}
    for row in rows:
        assert row["hash"] == stored[int(row["sequence"])].hash
        assert row["prev_hash"] == stored[int(row["sequence"])].prev_hash
    assert rows[-1]["actor"] == str(events["officer"].public_id)
    assert rows[-1]["changes"] == '{"first_name":{"after":"David","before":"Dave"}}'


def test_csv_export_is_itself_audited(auditor, events):
    response = auditor.get(URL, {"format": "csv", "action": "user.updated"})
    b"".join(response.streaming_content)

    export = AuditEvent.objects.get(action="audit.exported")
    assert (export.actor_id, export.target_id) == (auditor.user.pk, "audit-history")


def test_csv_cells_that_look_like_formulas_are_escaped(auditor, db):
    audit_event_record(action="user.updated", target_type="accounts.user", target_id="=cmd|'/C calc'!A0")
    audit_event_record(action="user.updated", target_type="accounts.user", target_id="@SUM(A1:A9)")

    response = auditor.get(URL, {"format": "csv", "action": "user.updated"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["target_id"] for row in rows) == ["'=cmd|'/C calc'!A0", "'@SUM(A1:A9)"]

"""Read-only console pages for audit events, security events and the chain head."""

import pytest

import conftest
from accounts.tests.factories import UserFactory, add_totp
from audit.models import AuditChainHead, AuditEvent, SecurityEvent
from audit.services import audit_event_record, security_event_record

pytestmark = pytest.mark.django_db
EVENTS = "/admin/audit/auditevent/"
SECURITY = "/admin/audit/securityevent/"


@pytest.fixture
def console_for(db):
    """console_for(staff) -> a Django test client logged into the console with a verified TOTP device."""

    def make(staff):
        client = conftest.console_for(staff)
        client.user = staff
        return client

    return make


@pytest.fixture
def console(make_staff, console_for):
    """console("auditor") -> a console client for a new staff member with that role."""
    return lambda role: console_for(make_staff(role))


@pytest.fixture
def recorded(db):
    event = audit_event_record(
        action="user.updated",
        target_type="accounts.user",
        target_id="c0ffee",
        changes={"first_name": {"before": "Ann", "after": "Anne"}, "password": "hunter22"},
    )
    security = security_event_record(event_type="login_failed", email="mallory@evil.test", details={"reason": "bad"})
    return event, security


@pytest.mark.parametrize("url", [EVENTS, SECURITY])
def test_auditor_can_list_search_and_filter_events(console, recorded, url):
    client = console("auditor")

    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "not a number"}).status_code == 200
    assert client.get(url, {"q": "10.0.0.1"}).status_code == 200


def test_event_list_filters_and_searches_narrow_the_rows(console, recorded):
    client = console("auditor")
    audit_event_record(action="user.deactivated", target_type="accounts.user", target_id="beef")

    listed = client.get(EVENTS, {"action": "user.deactivated"})
    assert [row.action for row in listed.context["cl"].result_list] == ["user.deactivated"]
    searched = client.get(EVENTS, {"q": "c0ffee"})
    assert [row.target_id for row in searched.context["cl"].result_list] == ["c0ffee"]
    by_sequence = client.get(EVENTS, {"q": "2"})
    assert 2 in [row.sequence for row in by_sequence.context["cl"].result_list]


def test_event_page_shows_changes_readably_without_secrets_or_a_save_button(console, recorded):
    event, _ = recorded

    response = console("auditor").get(f"{EVENTS}{event.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "&quot;after&quot;: &quot;Anne&quot;" in page  # pretty-printed JSON, escaped
    assert "<pre" in page
    assert "hunter22" not in page
    assert event.hash in page and event.prev_hash in page
    assert 'name="_save"' not in page


def test_security_event_page_is_view_only(console, recorded):
    _, security = recorded

    response = console("auditor").get(f"{SECURITY}{security.pk}/change/")

    assert response.status_code == 200
    assert "mallory@evil.test" in response.content.decode()
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("role", ["auditor", "administrator"])
def test_nobody_can_add_change_or_delete_records_in_the_console(console, recorded, role):
    event, security = recorded
    client = console(role)

    assert client.get(f"{EVENTS}add/").status_code == 403
    assert client.get(f"{SECURITY}add/").status_code == 403
    assert client.post(f"{EVENTS}{event.pk}/change/", {"action": "user.reactivated"}).status_code == 403
    assert client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{SECURITY}{security.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(EVENTS, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert AuditEvent.objects.get(pk=event.pk).action == "user.updated"
    assert SecurityEvent.objects.filter(pk=security.pk).exists()


def test_staff_without_the_view_permission_cannot_open_the_pages(console, recorded):
    client = console("loan officer")

    assert client.get(EVENTS).status_code == 403
    assert client.get(SECURITY).status_code == 403


def test_chain_head_is_shown_to_superusers_and_never_editable(console_for, recorded):
    event, _ = recorded
    superuser = UserFactory(is_staff=True, is_superuser=True, roles=[])
    superuser.totp_device = add_totp(superuser)
    client = console_for(superuser)

    page = client.get("/admin/audit/auditchainhead/1/change/")

    assert page.status_code == 200
    assert event.hash in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert client.post("/admin/audit/auditchainhead/1/change/", {"sequence": "0"}).status_code == 403
    assert client.post("/admin/audit/auditchainhead/1/delete/", {"post": "yes"}).status_code == 403
    assert AuditChainHead.objects.get(pk=1).sequence == event.sequence

"""audit_event_record: one linear hash chain, secrets kept out, bound to the caller's transaction."""

import pytest
from django.db import transaction

from accounts.tests.factories import UserFactory
from audit import chain
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from audit.services import REDACTED, audit_chain_verify, audit_event_record

pytestmark = pytest.mark.django_db


def test_each_event_links_to_the_previous_events_hash(record_events):
    first, second, third = record_events(3)

    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3


def test_stored_hash_is_sha256_over_prev_hash_and_the_stored_content(record_events):
    record_events(2)

    for event in AuditEvent.objects.order_by("sequence"):
        assert event.hash == chain.chain_hash(event.prev_hash, chain.content_of(event))
        assert len(event.hash) == 64


def test_sequence_runs_from_one_without_gaps_and_the_head_follows_it(record_events):
    events = record_events(5)

    assert list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]
    head = AuditChainHead.objects.get(pk=1)
    assert (head.sequence, head.hash) == (5, events[-1].hash)
    assert audit_chain_verify() == (5, None)


def test_secret_keys_are_redacted_from_changes_and_metadata_at_any_depth(db):
    event = audit_event_record(
        action="user.password_changed",
        changes={
            "password": {"before": "old-Secret-1", "after": "new-Secret-2"},
            "first_name": {"before": "A", "after": "B"},
        },
        metadata={"nested": [{"refresh_token": "eyJ.abc"}], "totp_secret": "JBSWY3DP", "reason": "user asked"},
    )

    event.refresh_from_db()
    assert event.changes == {"password": REDACTED, "first_name": {"before": "A", "after": "B"}}
    assert event.metadata == {"nested": [{"refresh_token": REDACTED}], "totp_secret": REDACTED, "reason": "user asked"}
    stored = chain.canonical_json(chain.content_of(event))
    for secret in ("old-Secret-1", "new-Secret-2", "eyJ.abc", "JBSWY3DP"):
        assert secret not in stored


def test_unregistered_action_is_refused_and_nothing_is_written(db):
    with pytest.raises(ValueError, match="Unregistered audit action"):
        audit_event_record(action="user.teleported")

    assert AuditEvent.objects.count() == 0
    assert AuditChainHead.objects.get(pk=1).sequence == 0


def test_record_rolls_back_with_the_callers_transaction(record_events):
    (kept,) = record_events(1)

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            audit_event_record(action="user.updated", target_type="test.thing", target_id="doomed")
            raise RuntimeError("the action failed after recording")

    assert list(AuditEvent.objects.values_list("target_id", flat=True)) == [kept.target_id]
    head = AuditChainHead.objects.get(pk=1)
    assert (head.sequence, head.hash) == (1, kept.hash)
    after = audit_event_record(action="user.updated")
    assert (after.sequence, after.prev_hash) == (2, kept.hash)


def test_actor_and_target_are_recorded_by_public_id(db):
    staff = UserFactory(is_staff=True, roles=["administrator"])
    customer = UserFactory()

    event = audit_event_record(action="user.deactivated", actor=staff, target=customer)

    assert event.actor_id == staff.pk
    assert event.actor_repr == staff.email
    assert (event.target_type, event.target_id) == ("accounts.user", str(customer.public_id))


def test_request_context_is_recorded_with_the_address_in_database_form(in_request):
    in_request(ip="2001:0DB8:0000::0001", request_id="req-12345678", user_agent="pytest\x00agent")

    event = audit_event_record(action="user.updated")

    event.refresh_from_db()
    assert event.ip == "2001:db8::1"
    assert event.request_id == "req-12345678"
    assert event.user_agent == "pytestagent"
    assert audit_chain_verify() == (1, None)


def test_malformed_client_address_is_dropped_rather_than_failing_the_action(in_request):
    in_request(ip="not-an-address, 10.0.0.1")

    event = audit_event_record(action="user.updated")

    event.refresh_from_db()
    assert event.ip is None


def test_values_json_cannot_round_trip_exactly_are_stored_as_hashed(db):
    from decimal import Decimal

    event = audit_event_record(
        action="user.updated",
        changes={"big": 1e20, "small": 1e-05, "nan": float("nan"), "amount": Decimal("10.50"), "text": "a\x00b"},
    )

    event.refresh_from_db()
    assert event.changes == {"big": 10**20, "small": 1e-05, "nan": "nan", "amount": "10.50", "text": "ab"}
    assert audit_chain_verify() == (1, None)

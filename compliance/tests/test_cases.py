"""The case workflow: states, decisions (freezing on confirmed), reports, audit, console."""

import csv
import io
import json

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from blockscore.exceptions import Conflict, PermissionDenied, ValidationFailed
from compliance.models import Case, CaseNote, CustomerRisk, MonitoringRule, ScreeningHit, ScreeningResult
from compliance.models.watchlists import WatchlistEntry, WatchlistVersion
from compliance.services.cases import (
    case_assign,
    case_close_confirmed,
    case_close_false_positive,
    case_escalate,
    case_investigate,
    case_note_add,
    case_open,
    case_report_export,
)
from compliance.services.monitoring import monitor_entry
from compliance.tests.factories import kyc_approved
from conftest import console_for
from wallets.models import LedgerAccount
from wallets.services import wallet_open
from wallets.tests.factories import deposit, funded_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_staff):
    return make_staff("compliance officer")


def screening_case(subject, *, score="0.9300"):
    version = WatchlistVersion.objects.create(source="ofac", origin="test", checksum="0" * 64)
    entry = WatchlistEntry.objects.create(version=version, list_id="1234", entity_type="individual", name="Ivan Badman")
    result = ScreeningResult.objects.create(
        user=subject,
        trigger="manual",
        screened_name="Ivan Badman",
        data_hash="a" * 64,
        list_versions={"ofac": version.pk},
        algorithm_version="test",
        threshold="0.86",
        hit_count=1,
        screened_at=version.imported_at,
    )
    hit = ScreeningHit.objects.create(
        result=result,
        user=subject,
        entry=entry,
        list_source="ofac",
        list_id="1234",
        matched_name="Ivan Badman",
        score=score,
        explanation={"name": "all tokens agree"},
        data_hash="a" * 64,
    )
    case = case_open(subject=subject, kind=Case.Kind.SCREENING, summary="OFAC hit", hits=[hit])
    return case, hit


def monitoring_case(subject):
    wallet = funded_wallet("0", owner=subject)
    entry = deposit(wallet, "12500.00")
    monitor_entry(entry_id=entry.pk)
    return Case.objects.get(subject=subject, kind=Case.Kind.MONITORING), entry


def test_false_positive_dismisses_the_hits_and_is_audited(officer):
    subject = UserFactory()
    case, hit = screening_case(subject)

    case_assign(case=case, officer=officer)
    case_investigate(case=case, officer=officer)
    case_note_add(case=case, author=officer, text="Different date of birth on the passport.")
    case_close_false_positive(case=case, officer=officer, note="Not the listed person.")

    case.refresh_from_db()
    hit.refresh_from_db()
    assert case.status == Case.Status.CLOSED_FALSE_POSITIVE
    assert case.decided_by == officer and case.assigned_to == officer and case.closed_at is not None
    assert hit.status == ScreeningHit.Status.DISMISSED and hit.decided_by == officer and hit.decided_at
    actions = list(
        AuditEvent.objects.filter(target_id=str(case.public_id)).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["case.opened", "case.assigned", "case.status_changed", "case.note_added", "case.status_changed"]
    last = AuditEvent.objects.filter(target_id=str(case.public_id)).order_by("pk").last()
    assert last.changes == {"status": {"before": "investigating", "after": "closed_false_positive"}}
    assert last.actor == officer
    assert AuditEvent.objects.filter(action="screening.hit_dismissed", target_type="compliance.screeninghit").exists()
    assert list(case.notes.values_list("text", flat=True)) == [
        "Different date of birth on the passport.",
        "Not the listed person.",
    ]


def test_confirmed_freezes_every_wallet_and_confirms_the_hits(officer):
    subject = UserFactory()
    usd = funded_wallet("50.00", owner=subject)
    eur = wallet_open(owner=subject, currency="EUR")
    case, hit = screening_case(subject)

    case_close_confirmed(case=case, officer=officer, note="Same person: passport matches the listing.")

    usd.refresh_from_db()
    eur.refresh_from_db()
    hit.refresh_from_db()
    assert usd.status == eur.status == LedgerAccount.Status.FROZEN
    assert hit.status == ScreeningHit.Status.CONFIRMED
    frozen = AuditEvent.objects.filter(action="wallet.status_changed", actor=officer)
    assert frozen.count() == 2
    assert "closed as confirmed" in frozen.first().metadata["reason"]
    risk = CustomerRisk.objects.get(user=subject)
    assert risk.level == CustomerRisk.Level.HIGH and risk.enhanced_due_diligence
    assert risk.trigger == "case_decision"


def test_invalid_transitions_are_conflicts_with_a_stable_code(officer):
    case, _ = screening_case(UserFactory())
    case_close_false_positive(case=case, officer=officer, note="No.")

    with pytest.raises(Conflict) as reopened:
        case_investigate(case=case, officer=officer)
    assert reopened.value.code == "case_transition_invalid"
    with pytest.raises(Conflict) as again:
        case_close_confirmed(case=case, officer=officer, note="Changed my mind")
    assert again.value.code == "case_transition_invalid"
    with pytest.raises(Conflict) as assign:
        case_assign(case=case, officer=officer)
    assert assign.value.code == "case_closed"
    assert LedgerAccount.objects.filter(status=LedgerAccount.Status.FROZEN).count() == 0


def test_decisions_need_a_note(officer):
    case, _ = screening_case(UserFactory())
    with pytest.raises(ValidationFailed) as missing:
        case_close_false_positive(case=case, officer=officer, note="  ")
    assert missing.value.code == "case_note_required"
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_an_officer_may_not_handle_a_case_about_their_own_account(officer):
    case, hit = screening_case(officer)
    for step in (
        lambda: case_assign(case=case, officer=officer),
        lambda: case_investigate(case=case, officer=officer),
        lambda: case_close_false_positive(case=case, officer=officer, note="It's me, I'm fine."),
        lambda: case_close_confirmed(case=case, officer=officer, note="x"),
        lambda: case_escalate(case=case, officer=officer, note="x"),
        lambda: case_note_add(case=case, author=officer, text="x"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            step()
        assert refused.value.code == "case_own_account"
    case.refresh_from_db()
    hit.refresh_from_db()
    assert case.status == Case.Status.OPEN and hit.status == ScreeningHit.Status.OPEN


def test_auditors_cannot_decide(make_staff):
    auditor = make_staff("auditor")
    case, _ = screening_case(UserFactory())
    with pytest.raises(PermissionDenied) as refused:
        case_investigate(case=case, officer=auditor)
    assert refused.value.code == "case_not_allowed"


def test_escalation_report_in_json_and_csv(officer):
    subject = UserFactory(email="subject@example.com")
    kyc_approved(subject, legal_name="Sam Subject")
    case, entry = monitoring_case(subject)
    case_note_add(case=case, author=officer, text="Deposit far above the declared income.")

    report = case_escalate(case=case, officer=officer, note="Filing a SAR.")
    exported = json.loads(case_report_export(case=case, officer=officer, fmt="json"))

    assert report["case"]["status"] == exported["case"]["status"] == "escalated"
    assert exported["subject"]["email"] == "subject@example.com"
    assert exported["subject"]["kyc"]["legal_name"] == "Sam Subject"
    assert exported["subject"]["kyc"]["date_of_birth"] == "1985-06-15"
    assert exported["subject"]["kyc"]["document_number"] == "123456789"
    rules = {alert["rule"] for alert in exported["monitoring_alerts"]}
    assert "large_transaction" in rules
    assert exported["transactions"] == [
        {
            "entry": str(entry.public_id),
            "kind": "deposit",
            "posted_at": entry.posted_at.isoformat(),
            "wallet": exported["subject"]["wallets"][0]["number"],
            "currency": "USD",
            "amount": "12500.00",
            "memo": "test deposit",
            "reverses": None,
        }
    ]
    assert [note["text"] for note in exported["notes"]] == ["Deposit far above the declared income.", "Filing a SAR."]
    timeline = [event["action"] for event in exported["timeline"]]
    assert timeline[0] == "case.opened" and "case.status_changed" in timeline
    assert exported["subject"]["risk"]["level"] in {"medium", "high"}

    rows = list(csv.reader(io.StringIO(case_report_export(case=case, officer=officer, fmt="csv"))))
    assert rows[0] == ["section", "at", "reference", "item", "currency", "amount", "detail"]
    assert ["kyc", "", str(subject.public_id), "legal_name", "", "", "Sam Subject"] in rows
    assert any(r[0] == "transaction" and r[2] == str(entry.public_id) and r[5] == "12500.00" for r in rows)
    assert any(r[0] == "monitoring_alert" and r[3] == "large_transaction v1" for r in rows)
    assert any(r[0] == "note" and r[6] == "Filing a SAR." for r in rows)
    assert AuditEvent.objects.filter(action="case.report_exported", target_id=str(case.public_id)).count() == 2


def test_escalated_case_can_still_be_confirmed(officer):
    subject = UserFactory()
    case, _ = monitoring_case(subject)
    case_escalate(case=case, officer=officer, note="SAR filed.")
    case_close_confirmed(case=case, officer=officer, note="Regulator asked for a freeze.")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED_CONFIRMED
    assert not LedgerAccount.objects.filter(owner=subject, status=LedgerAccount.Status.ACTIVE).exists()


# Console ------------------------------------------------------------------------------


def test_console_queue_shows_open_cases_first_with_filters(officer):
    closed, _ = screening_case(UserFactory(email="closed@example.com"))
    case_close_false_positive(case=closed, officer=officer, note="No.")
    monitoring_case(UserFactory(email="open@example.com"))
    console = console_for(officer)

    page = console.get(reverse("admin:compliance_case_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("open@example.com") < text.index("closed@example.com")
    filtered = console.get(reverse("admin:compliance_case_changelist"), {"kind__exact": "monitoring"})
    assert "open@example.com" in filtered.content.decode()
    assert "closed@example.com" not in filtered.content.decode()


def test_console_case_page_actions_notes_and_reports(officer):
    subject = UserFactory()
    kyc_approved(subject, legal_name="Sam Subject")
    case, _ = monitoring_case(subject)
    console = console_for(officer)
    change = reverse("admin:compliance_case_change", args=[case.pk])

    page = console.get(change)
    assert page.status_code == 200
    assert "12500.00 USD in" in page.content.decode()  # the alert's explanation
    assert "Assign to me" in page.content.decode()

    act = reverse("admin:compliance_case_act", args=[case.pk])
    assert console.post(act, {"action": "assign"}).status_code == 302
    assert console.post(act, {"action": "investigate"}).status_code == 302
    note = reverse("admin:compliance_case_note", args=[case.pk])
    assert console.post(note, {"text": "Asked for source of funds."}).status_code == 302
    refused = console.post(act, {"action": "close_confirmed", "note": ""}, follow=True)
    assert "Say why in a note" in refused.content.decode()
    console.post(act, {"action": "escalate", "note": "SAR."})
    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED and case.assigned_to == officer
    assert CaseNote.objects.filter(case=case, text="Asked for source of funds.").exists()

    as_json = console.get(reverse("admin:compliance_case_report", args=[case.pk, "json"]))
    assert as_json["Content-Type"] == "application/json"
    assert json.loads(as_json.content)["subject"]["kyc"]["legal_name"] == "Sam Subject"
    as_csv = console.get(reverse("admin:compliance_case_report", args=[case.pk, "csv"]))
    assert as_csv["Content-Type"].startswith("text/csv")
    assert "attachment" in as_csv["Content-Disposition"]


def test_console_auditor_reads_but_cannot_act(make_staff, officer):
    auditor = make_staff("auditor")
    case, _ = screening_case(UserFactory())
    console = console_for(auditor)

    page = console.get(reverse("admin:compliance_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert "case-action-form" not in page.content.decode()
    assert console.post(reverse("admin:compliance_case_act", args=[case.pk]), {"action": "assign"}).status_code == 403
    assert console.get(reverse("admin:compliance_case_report", args=[case.pk, "json"])).status_code == 403
    for name in ("monitoringrule", "monitoringalert", "customerrisk", "screeninghit"):
        assert console.get(reverse(f"admin:compliance_{name}_changelist")).status_code == 200
    case.refresh_from_db()
    assert case.assigned_to is None


def test_console_own_case_shows_no_actions(officer):
    case, _ = screening_case(officer)
    page = console_for(officer).get(reverse("admin:compliance_case_change", args=[case.pk]))
    assert "your own account" in page.content.decode()
    assert "case-action-form" not in page.content.decode()


def test_console_rule_edit_makes_a_new_version(officer):
    rule = MonitoringRule.objects.get(code="large_transaction", active=True)
    console = console_for(officer)
    url = reverse("admin:compliance_monitoringrule_change", args=[rule.pk])
    assert console.get(url).status_code == 200

    response = console.post(
        url, {"parameters": json.dumps({"thresholds": {"USD": "7500"}}), "description": "Lower in USD"}
    )

    assert response.status_code == 302
    new = MonitoringRule.objects.get(code="large_transaction", active=True)
    assert new.version == 2 and new.parameters == {"thresholds": {"USD": "7500.00"}} and new.created_by == officer
    assert response["Location"] == reverse("admin:compliance_monitoringrule_change", args=[new.pk])
    rule.refresh_from_db()
    assert not rule.active and rule.parameters["thresholds"]["USD"] == "10000"
    assert AuditEvent.objects.filter(action="monitoring.rule_changed", actor=officer).count() == 1
    bad = console.post(
        reverse("admin:compliance_monitoringrule_change", args=[new.pk]),
        {"parameters": json.dumps({"thresholds": {"USD": "-1"}}), "description": ""},
        follow=True,
    )
    assert "Not saved" in bad.content.decode()
    assert MonitoringRule.objects.get(code="large_transaction", active=True) == new
    # old versions are read-only
    assert console.post(url, {"parameters": "{}", "description": ""}).status_code == 403


def test_console_needs_mfa(officer):
    response = console_for(officer, verified=False).get(reverse("admin:compliance_case_changelist"))
    assert response.status_code in (302, 403)

"""Transaction monitoring over real ledger postings: alerts, idempotency, cases, rule versions."""

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from blockscore.exceptions import ValidationFailed
from blockscore.models import JobRun
from blockscore.schedule import PERIODIC_TASKS
from compliance.models import Case, CustomerRisk, MonitoringAlert, MonitoringRule
from compliance.monitoring import tasks
from compliance.services.monitoring import (
    entry_posted_listener,
    monitor_daily,
    monitor_entry,
    monitoring_rule_change,
)
from compliance.tests.factories import kyc_approved
from wallets.services import wallet_open
from wallets.tests.factories import deposit, funded_wallet, move

pytestmark = pytest.mark.django_db


def codes(alerts):
    return sorted(alert.rule.code for alert in alerts)


def test_default_rules_are_seeded_active_as_version_one():
    rules = {rule.code: rule for rule in MonitoringRule.objects.filter(active=True)}
    assert set(rules) == set(MonitoringRule.Code.values)
    assert all(rule.version == 1 for rule in rules.values())
    assert rules["large_transaction"].parameters["thresholds"]["USD"] == "10000"
    assert rules["high_risk_country"].parameters["countries"] == ["KP", "IR", "MM"]


def test_large_deposit_raises_an_alert_and_opens_a_case():
    wallet = funded_wallet("0")
    entry = deposit(wallet, "12000.00")

    alerts = monitor_entry(entry_id=entry.pk)

    assert "large_transaction" in codes(alerts)
    alert = next(a for a in alerts if a.rule.code == "large_transaction")
    assert alert.user == wallet.owner and alert.entry == entry
    assert alert.details["rule_version"] == 1
    assert alert.details["findings"][0]["details"]["amount"] == "12000.00"
    assert "12000.00 USD in" in alert.details["summary"]
    case = Case.objects.get(subject=wallet.owner)
    assert case.kind == Case.Kind.MONITORING and case.status == Case.Status.OPEN
    assert set(case.monitoring_alerts.all()) == set(alerts)
    assert AuditEvent.objects.filter(action="monitoring.alerts_raised").count() == 1
    risk = CustomerRisk.objects.get(user=wallet.owner)
    assert risk.trigger == "monitoring_alert"
    assert any(f["factor"] == "monitoring_alerts" for f in risk.factors)


def test_monitoring_twice_and_the_daily_batch_write_one_alert():
    wallet = funded_wallet("0")
    entry = deposit(wallet, "12000.00")
    first = monitor_entry(entry_id=entry.pk)

    assert monitor_entry(entry_id=entry.pk) == []
    counts = monitor_daily(day=timezone.localdate())

    assert counts["alerts"] == 0 and counts["entries"] >= 1
    assert MonitoringAlert.objects.filter(user=wallet.owner).count() == len(first)
    assert Case.objects.filter(subject=wallet.owner).count() == 1


def test_daily_batch_catches_entries_whose_run_was_lost():
    wallet = funded_wallet("0")
    deposit(wallet, "15000.00")

    counts = monitor_daily(day=timezone.localdate())

    assert counts["alerts"] >= 1
    assert MonitoringAlert.objects.filter(user=wallet.owner, rule__code="large_transaction").count() == 1


def test_daily_batch_task_is_recorded_as_a_job_run_and_scheduled():
    wallet = funded_wallet("0")
    deposit(wallet, "15000.00")

    run_id = tasks.monitor_daily.delay(timezone.localdate().isoformat()).get()

    run = JobRun.objects.get(pk=run_id)
    assert run.name == "compliance_monitor_daily" and run.status == JobRun.Status.SUCCEEDED
    assert run.counts["alerts"] >= 1
    assert PERIODIC_TASKS["monitor_daily"]["task"] == "compliance.monitor_daily"


def test_nothing_is_raised_for_an_ordinary_movement():
    source = funded_wallet("100.00")
    destination = wallet_open(owner=UserFactory(), currency="USD")
    entry = move(source, destination, "20.00")

    assert monitor_entry(entry_id=entry.pk) == []
    assert not Case.objects.exists()


def test_structuring_three_deposits_just_under_the_threshold():
    wallet = funded_wallet("0")
    entries = [deposit(wallet, amount) for amount in ("9500.00", "9800.00", "9100.00")]

    assert "structuring" not in codes(monitor_entry(entry_id=entries[1].pk))
    alerts = monitor_entry(entry_id=entries[2].pk)

    structuring = next(a for a in alerts if a.rule.code == "structuring")
    assert structuring.details["findings"][0]["details"]["count"] == 3
    assert structuring.details["findings"][0]["details"]["entries"] == [e.pk for e in entries]


def test_velocity_burst_of_a_new_customer():
    wallet = funded_wallet("0")
    entries = [deposit(wallet, "600.00") for _ in range(9)]

    assert "velocity" not in codes(monitor_entry(entry_id=entries[7].pk))  # 4,800 USD: under the minimum
    alerts = monitor_entry(entry_id=entries[8].pk)  # 5,400 USD in 24h, no norm

    assert "velocity" in codes(alerts)


def test_rapid_movement_in_and_out_within_the_hour():
    customer = UserFactory()
    kyc_approved(customer)
    wallet = funded_wallet("0", owner=customer)
    incoming = deposit(wallet, "3000.00")
    wallet.refresh_from_db()
    other = wallet_open(owner=UserFactory(), currency="USD")
    outgoing = move(wallet, other, "2900.00", initiator=customer)

    alerts = monitor_entry(entry_id=outgoing.pk)

    rapid = [a for a in alerts if a.rule.code == "rapid_movement"]
    assert [a.user for a in rapid] == [customer]
    details = rapid[0].details["findings"][0]["details"]
    assert details["entries_in"] == [incoming.pk] and details["out"] == "2900.00"


def test_high_risk_country_counterparty_from_kyc():
    sender = funded_wallet("100.00")
    receiver_user = UserFactory()
    submission = kyc_approved(receiver_user)
    submission.nationality = "IR"
    submission.save(update_fields=["nationality"])
    receiver = wallet_open(owner=receiver_user, currency="USD")

    entry = move(sender, receiver, "50.00")
    alerts = monitor_entry(entry_id=entry.pk)

    assert [(a.rule.code, a.user) for a in alerts] == [("high_risk_country", sender.owner)]
    assert alerts[0].details["findings"][0]["details"]["countries"] == ["IR"]


def test_alerts_of_one_customer_roll_into_one_open_case():
    wallet = funded_wallet("0")
    first = deposit(wallet, "12000.00")
    second = deposit(wallet, "13000.00")

    monitor_entry(entry_id=first.pk)
    monitor_entry(entry_id=second.pk)

    case = Case.objects.get(subject=wallet.owner)
    assert case.monitoring_alerts.filter(rule__code="large_transaction").count() == 2


def test_editing_a_rule_makes_a_new_version_and_old_alerts_keep_theirs(make_staff):
    officer = make_staff("compliance officer")
    wallet = funded_wallet("0")
    old_alerts = monitor_entry(entry_id=deposit(wallet, "12000.00").pk)
    rule = MonitoringRule.objects.get(code="large_transaction", active=True)

    new = monitoring_rule_change(rule=rule, parameters={"thresholds": {"USD": "500"}}, actor=officer)

    rule.refresh_from_db()
    assert not rule.active and new.active and new.version == 2 and new.created_by == officer
    assert new.parameters == {"thresholds": {"USD": "500.00"}}
    assert next(a for a in old_alerts if a.rule.code == "large_transaction").rule_id == rule.pk
    event = AuditEvent.objects.get(action="monitoring.rule_changed")
    assert event.changes["parameters"]["after"] == {"thresholds": {"USD": "500.00"}}
    alerts = monitor_entry(entry_id=deposit(wallet, "600.00").pk)
    assert [a.rule for a in alerts if a.rule.code == "large_transaction"] == [new]


def test_rule_change_refuses_bad_parameters_and_old_versions(make_staff):
    officer = make_staff("compliance officer")
    rule = MonitoringRule.objects.get(code="structuring", active=True)
    with pytest.raises(ValidationFailed) as bad:
        monitoring_rule_change(rule=rule, parameters={"thresholds": {"USD": "1"}}, actor=officer)
    assert bad.value.code == "invalid_rule_parameters"
    new = monitoring_rule_change(
        rule=rule, parameters={**rule.parameters, "min_count": 4}, actor=officer, description="Four"
    )
    assert new.parameters["min_count"] == 4
    with pytest.raises(ValidationFailed) as stale:
        monitoring_rule_change(rule=rule, parameters=rule.parameters, actor=officer)
    assert stale.value.code == "rule_not_active"


def test_entry_posted_listener_queues_monitoring_after_commit(django_capture_on_commit_callbacks):
    wallet = funded_wallet("0")
    with django_capture_on_commit_callbacks(execute=True):
        entry = deposit(wallet, "20000.00")
        entry_posted_listener(entry)

    assert MonitoringAlert.objects.filter(entry=entry, rule__code="large_transaction").count() == 1


def test_monitoring_an_unknown_entry_does_nothing():
    assert monitor_entry(entry_id=987654) == []
    assert tasks.monitor_entry.delay(987654).get() == 0

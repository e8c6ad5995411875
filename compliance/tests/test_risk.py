"""Customer risk rating: factors, score, level, enhanced due diligence, the task."""

import pytest

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from compliance.models import CustomerRisk
from compliance.monitoring import tasks
from compliance.services.monitoring import monitor_entry
from compliance.services.risk import level_for, risk_recalculate
from compliance.tests.factories import kyc_approved
from wallets.tests.factories import deposit, funded_wallet

pytestmark = pytest.mark.django_db


def test_levels_and_thresholds():
    assert level_for(0) == level_for(29) == "low"
    assert level_for(30) == level_for(59) == "medium"
    assert level_for(60) == level_for(100) == "high"


def test_a_customer_with_nothing_against_them_is_low():
    user = UserFactory()
    kyc_approved(user)
    risk = risk_recalculate(user=user, trigger="manual")
    assert (risk.level, risk.score, risk.factors, risk.enhanced_due_diligence) == ("low", 0, [], False)


def test_high_risk_nationality_gives_medium_with_the_reason():
    user = UserFactory()
    submission = kyc_approved(user)
    submission.nationality = "KP"
    submission.save(update_fields=["nationality"])
    risk = risk_recalculate(user=user, trigger="kyc_decision")
    assert risk.level == "medium" and risk.score == 40
    assert risk.factors == [{"factor": "country", "points": 40, "why": "Tied to high-risk country KP (KYC or profile)"}]
    assert AuditEvent.objects.get(action="risk.level_changed").changes["level"] == {"before": None, "after": "medium"}


def test_grey_list_country_counts_less():
    user = UserFactory()
    submission = kyc_approved(user)
    submission.country = "VN"
    submission.save(update_fields=["country"])
    assert risk_recalculate(user=user, trigger="manual").score == 20


def test_country_and_monitoring_alerts_make_high_with_due_diligence():
    user = UserFactory()
    submission = kyc_approved(user)
    submission.nationality = "IR"
    submission.save(update_fields=["nationality"])
    wallet = funded_wallet("0", owner=user)
    for amount in ("12000.00", "13000.00"):
        monitor_entry(entry_id=deposit(wallet, amount).pk)

    risk = CustomerRisk.objects.get(user=user)

    factors = {f["factor"]: f["points"] for f in risk.factors}
    assert factors["country"] == 40 and factors["monitoring_alerts"] >= 20
    assert risk.level == "high" and risk.enhanced_due_diligence and risk.trigger == "monitoring_alert"


def test_volume_factor_over_ninety_days():
    wallet = funded_wallet("0")
    deposit(wallet, "40000.00")
    factors = {f["factor"]: f for f in risk_recalculate(user=wallet.owner, trigger="manual").factors}
    assert factors["volume"]["points"] == 5
    assert "40000.00 USD moved in 90 days" in factors["volume"]["why"]


def test_recalculate_task_for_the_kyc_hook():
    user = UserFactory()
    assert tasks.recalculate_risk.delay(user.pk, "kyc_decision").get() == "low"
    assert CustomerRisk.objects.get(user=user).trigger == "kyc_decision"
    assert tasks.recalculate_risk.delay(987654, "kyc_decision").get() == ""

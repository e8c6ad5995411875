"""Every posted entry is monitored after its commit, through the ledger's listener registry."""

import pytest

from compliance.models import MonitoringAlert
from compliance.tests.factories import kyc_approved
from wallets.tests.factories import funded_wallet, move

pytestmark = pytest.mark.django_db


def test_a_large_transfer_raises_an_alert_once_committed(user, other_user, django_capture_on_commit_callbacks):
    kyc_approved(user)
    source = funded_wallet("50000.00", currency="USD", owner=user)
    destination = funded_wallet("0", currency="USD", owner=other_user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        entry = move(source, destination, "12000.00", initiator=user)
    assert not MonitoringAlert.objects.filter(entry=entry).exists()  # nothing before the commit

    for callback in callbacks:
        callback()

    codes = set(MonitoringAlert.objects.filter(entry=entry).values_list("rule__code", flat=True))
    assert "large_transaction" in codes

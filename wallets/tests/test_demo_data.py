from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import User
from audit.services import audit_chain_verify
from wallets.models import LedgerAccount
from wallets.selectors import ledger_problems


@pytest.mark.django_db
def test_demo_data_creates_staff_customers_and_funded_wallets_idempotently(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the credentials file is written here

    for _ in range(2):
        call_command("load_demo_data", stdout=open("/dev/null", "w"))
        call_command("load_demo_wallets", stdout=open("/dev/null", "w"))

    staff = User.objects.filter(is_staff=True)
    assert sorted(g for user in staff for g in user.roles) == [
        "administrator",
        "auditor",
        "compliance officer",
        "loan officer",
        "operations",
    ]
    assert all(user.totpdevice_set.filter(confirmed=True).exists() for user in staff)
    wallets = LedgerAccount.objects.filter(kind="customer_wallet")
    assert (
        sorted((w.currency, w.balance) for w in wallets)
        == [("EUR", Decimal("800.00"))] * 3 + [("USD", Decimal("1500.00"))] * 3
    )
    assert ledger_problems() == []
    assert audit_chain_verify()[1] is None
    assert (tmp_path / "demo_credentials.json").exists()

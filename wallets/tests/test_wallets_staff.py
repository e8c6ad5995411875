import csv
import io

import pytest

from audit.models import AuditEvent
from conftest import client_for, console_for
from wallets.models import LedgerAccount
from wallets.tests.factories import funded_wallet, move

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["operations", "auditor", "compliance officer", "administrator"])
def test_staff_list_every_ledger_account(staff_client, role):
    funded_wallet("10.00")

    body = staff_client(role).get("/api/v1/admin/wallets").json()

    kinds = sorted(row["kind"] for row in body["results"])
    assert kinds == ["clearing", "customer_wallet"]


def test_admin_wallets_filters_and_csv(staff_client, user):
    funded_wallet("10.00", owner=user)
    funded_wallet("5.00", "EUR")
    client = staff_client("auditor")

    rows = client.get("/api/v1/admin/wallets", {"kind": "customer_wallet", "owner_email": user.email}).json()["results"]
    export = client.get("/api/v1/admin/wallets", {"format": "csv", "currency": "EUR"})

    assert [(r["owner_email"], r["balance"]) for r in rows] == [(user.email, "10.00")]
    lines = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert sorted(line["balance"] for line in lines) == ["-5.00", "5.00"]


def test_admin_transactions_show_every_posting_with_filters(staff_client):
    source, destination = funded_wallet("50.00"), funded_wallet("0")
    entry = move(source, destination, "20.00")
    client = staff_client("operations")

    everything = client.get("/api/v1/admin/transactions").json()["results"]
    of_entry = client.get("/api/v1/admin/transactions", {"entry": str(entry.public_id)}).json()["results"]

    assert len(everything) == 4
    assert sorted(r["amount"] for r in of_entry) == ["-20.00", "20.00"]
    assert {r["account_number"] for r in of_entry} == {source.number, destination.number}


@pytest.mark.parametrize("path", ["/api/v1/admin/wallets", "/api/v1/admin/transactions"])
def test_customers_and_roles_without_the_permission_are_refused(path, auth_client, staff_client, make_staff):
    assert auth_client.get(path).status_code == 403
    assert client_for(make_staff("operations"), mfa=False).get(path).status_code == 403


def test_loan_officers_see_wallets_but_not_postings(staff_client):
    client = staff_client("loan officer")

    assert client.get("/api/v1/admin/wallets").status_code == 200
    assert client.get("/api/v1/admin/transactions").status_code == 403


def test_operations_freeze_an_account_in_the_console_and_it_stops_moving(make_staff):
    officer = make_staff("operations")
    source, destination = funded_wallet("50.00"), funded_wallet("0")

    response = console_for(officer).post(
        "/admin/wallets/ledgeraccount/", {"action": "freeze", "_selected_action": [source.pk]}
    )

    assert response.status_code == 302
    source.refresh_from_db()
    assert source.status == "frozen"
    assert AuditEvent.objects.filter(action="wallet.status_changed", actor=officer).exists()
    from wallets.exceptions import AccountNotActive

    with pytest.raises(AccountNotActive):
        move(source, destination, "1.00")


def test_auditors_cannot_freeze(make_staff):
    auditor = make_staff("auditor")
    wallet = funded_wallet("50.00")
    console = console_for(auditor)

    assert console.get("/admin/wallets/ledgeraccount/").status_code == 200
    console.post("/admin/wallets/ledgeraccount/", {"action": "freeze", "_selected_action": [wallet.pk]})

    assert LedgerAccount.objects.get(pk=wallet.pk).status == "active"


def test_entries_are_readable_in_the_console(make_staff):
    officer = make_staff("operations")
    source, destination = funded_wallet("50.00"), funded_wallet("0")
    entry = move(source, destination, "20.00", memo="rent")

    page = console_for(officer).get(f"/admin/wallets/journalentry/{entry.pk}/change/")

    assert page.status_code == 200
    assert b"rent" in page.content and b"-20.00" in page.content

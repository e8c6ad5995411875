from decimal import Decimal

import pytest

from audit.models import AuditEvent
from conftest import console_for
from wallets import exceptions
from wallets.models import Adjustment, LedgerAccount
from wallets.selectors import ledger_problems
from wallets.services import adjustments
from wallets.tests.factories import funded_wallet, move

pytestmark = pytest.mark.django_db
D = Decimal


def balance(account):
    return LedgerAccount.objects.get(pk=account.pk).balance


def test_an_adjustment_posts_only_when_a_second_person_approves(make_staff):
    maker, checker = make_staff("operations"), make_staff("administrator")
    wallet = funded_wallet("10.00")

    proposal = adjustments.adjustment_propose(actor=maker, account=wallet, amount=D("2.50"), reason="fee refund")
    assert balance(wallet) == D("10.00")
    with pytest.raises(adjustments.SameApprover):
        adjustments.adjustment_approve(adjustment=proposal, actor=maker)
    assert balance(wallet) == D("10.00")

    approved = adjustments.adjustment_approve(adjustment=proposal, actor=checker, note="ok")

    assert balance(wallet) == D("12.50")
    assert balance(LedgerAccount.objects.get(kind="suspense", currency="USD")) == D("-2.50")
    assert approved.status == "approved" and approved.posted_entry.kind == "adjustment"
    assert AuditEvent.objects.filter(action="adjustment.proposed", actor=maker).exists()
    assert AuditEvent.objects.filter(action="adjustment.approved", actor=checker).exists()
    assert ledger_problems() == []
    with pytest.raises(exceptions.InvalidTransition):
        adjustments.adjustment_approve(adjustment=proposal, actor=checker)


def test_a_reversal_under_maker_checker(make_staff):
    maker, checker = make_staff("operations"), make_staff("operations")
    source, destination = funded_wallet("30.00"), funded_wallet("0")
    entry = move(source, destination, "10.00")

    proposal = adjustments.reversal_propose(actor=maker, entry=entry, reason="sent twice")
    adjustments.adjustment_approve(adjustment=proposal, actor=checker)

    assert (balance(source), balance(destination)) == (D("30.00"), D("0.00"))
    with pytest.raises(exceptions.EntryAlreadyReversed):
        adjustments.reversal_propose(actor=maker, entry=entry, reason="again")


def test_a_rejected_proposal_posts_nothing(make_staff):
    maker, checker = make_staff("operations"), make_staff("administrator")
    wallet = funded_wallet("10.00")
    proposal = adjustments.adjustment_propose(actor=maker, account=wallet, amount=D("-20.00"), reason="clawback")

    adjustments.adjustment_reject(adjustment=proposal, actor=checker, note="would overdraw")

    assert balance(wallet) == D("10.00")
    assert Adjustment.objects.get(pk=proposal.pk).status == "rejected"


def test_an_approval_that_would_overdraw_a_wallet_is_refused_and_stays_proposed(make_staff):
    maker, checker = make_staff("operations"), make_staff("administrator")
    wallet = funded_wallet("10.00")
    proposal = adjustments.adjustment_propose(actor=maker, account=wallet, amount=D("-20.00"), reason="clawback")

    with pytest.raises(exceptions.InsufficientFunds):
        adjustments.adjustment_approve(adjustment=proposal, actor=checker)

    assert Adjustment.objects.get(pk=proposal.pk).status == "proposed"


def test_the_console_proposes_and_a_colleague_approves(make_staff):
    maker, checker = make_staff("operations"), make_staff("operations")
    wallet = funded_wallet("10.00")

    added = console_for(maker).post(
        "/admin/wallets/adjustment/add/",
        {"kind": "adjustment", "account": wallet.pk, "amount": "1.25", "reason": "goodwill"},
    )
    assert added.status_code == 302, added.content[:800]
    proposal = Adjustment.objects.get()
    console_for(maker).post("/admin/wallets/adjustment/", {"action": "approve", "_selected_action": [proposal.pk]})
    assert balance(wallet) == D("10.00")

    console_for(checker).post("/admin/wallets/adjustment/", {"action": "approve", "_selected_action": [proposal.pk]})

    assert balance(wallet) == D("11.25")


def test_the_console_refuses_more_places_than_the_currency_has(make_staff):
    maker = make_staff("operations")
    wallet = funded_wallet("10.00")

    response = console_for(maker).post(
        "/admin/wallets/adjustment/add/",
        {"kind": "adjustment", "account": wallet.pk, "amount": "1.255", "reason": "x"},
    )

    assert response.status_code == 200 and not Adjustment.objects.exists()


def test_auditors_cannot_propose_or_approve(make_staff):
    auditor = make_staff("auditor")
    wallet = funded_wallet("10.00")

    response = console_for(auditor).post(
        "/admin/wallets/adjustment/add/", {"kind": "adjustment", "account": wallet.pk, "amount": "1", "reason": "x"}
    )

    assert response.status_code == 403 and not Adjustment.objects.exists()

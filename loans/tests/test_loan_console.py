"""The loans console: a loan's page, repayments recorded by staff for money received
outside the platform, and write-off by two different loan officers (maker-checker)."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from audit.models import AuditEvent
from conftest import console_for
from loans.models import Loan, Repayment
from loans.services import servicing_run
from loans.tests.factories import disbursed_loan, noon
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import system_account

pytestmark = pytest.mark.django_db


def _loan(loan) -> Loan:
    loan.refresh_from_db()
    return loan


def _write_off(console, loan, decision, reason=""):
    return console.post(f"/admin/loans/loan/{loan.pk}/write-off/", {"decision": decision, "reason": reason})


def test_a_loan_officer_sees_the_loan_and_records_an_external_repayment_once(user, make_staff):
    loan = disbursed_loan(user, on="2026-01-15")
    officer = make_staff("loan officer")
    console = console_for(officer)
    form = {"amount": "50.00", "received_on": date.today().isoformat(), "reference": "SEPA-0001"}

    page = console.get(f"/admin/loans/loan/{loan.pk}/change/")
    recorded = console.post(f"/admin/loans/loan/{loan.pk}/repay/", form, follow=True)
    twice = console.post(f"/admin/loans/loan/{loan.pk}/repay/", form, follow=True)

    assert page.status_code == 200
    assert b"Record a repayment received outside the platform" in page.content
    assert b"Payoff amount" in page.content
    assert b"Repayment of 50.00 USD recorded." in recorded.content
    assert b"already recorded" in twice.content
    repayment = Repayment.objects.get()
    assert (repayment.source, repayment.reference, repayment.recorded_by) == ("external", "SEPA-0001", officer)
    clearing = system_account(LedgerAccount.Kind.CLEARING, "USD", rail="bank_transfer")
    assert clearing.balance == Decimal("-50.00")
    assert AuditEvent.objects.get(action="loans.repayment_recorded").actor_id == officer.pk


def test_an_auditor_sees_loans_but_records_nothing(user, make_staff):
    loan = disbursed_loan(user, on="2026-01-15")
    console = console_for(make_staff("auditor"))

    page = console.get(f"/admin/loans/loan/{loan.pk}/change/")
    refused = console.post(
        f"/admin/loans/loan/{loan.pk}/repay/", {"amount": "5.00", "received_on": "2026-01-20", "reference": "X"}
    )
    write_off = _write_off(console, loan, "propose", "gone")

    assert page.status_code == 200 and b"Record a repayment" not in page.content
    assert refused.status_code == 403 and write_off.status_code == 403
    assert Repayment.objects.count() == 0 and _loan(loan).write_off_proposed_by is None


def test_a_write_off_needs_a_second_loan_officer_and_clears_the_receivables(user, make_staff):
    loan = disbursed_loan(user, on="2026-01-15", late_fee_minor=1000, default_after_days=30)
    with time_machine.travel(noon("2026-03-20"), tick=False):
        servicing_run(day=date(2026, 3, 20))
    loan = _loan(loan)
    assert loan.status == "defaulted"
    owed = loan.principal_outstanding_minor + loan.interest_accrued_minor + loan.fees_outstanding_minor
    maker, checker = make_staff("loan officer"), make_staff("loan officer")

    with time_machine.travel(noon("2026-03-20"), tick=False):
        proposed = _write_off(console_for(maker), loan, "propose", "borrower unreachable for 60 days")
        own = _write_off(console_for(maker), loan, "approve")
        assert _loan(loan).status == "defaulted"  # the maker cannot approve their own proposal
        approved = _write_off(console_for(checker), loan, "approve")

    assert proposed.status_code == own.status_code == approved.status_code == 302
    loan = _loan(loan)
    assert (loan.status, loan.closed_on, loan.written_off_by) == ("written_off", date(2026, 3, 20), checker)
    entry = JournalEntry.objects.get(kind=JournalEntry.Kind.WRITE_OFF)
    assert loan.write_off_entry == entry
    assert system_account(LedgerAccount.Kind.WRITE_OFF_EXPENSE, "USD").balance == -Decimal(owed) / 100
    for kind in (
        LedgerAccount.Kind.LOAN_RECEIVABLE,
        LedgerAccount.Kind.INTEREST_RECEIVABLE,
        LedgerAccount.Kind.FEE_RECEIVABLE,
    ):
        assert system_account(kind, "USD").balance == Decimal("0.00"), kind
    actions = list(AuditEvent.objects.filter(action__startswith="loans.write_off").values_list("action", "actor_id"))
    assert actions == [("loans.write_off_proposed", maker.pk)]
    assert AuditEvent.objects.get(action="loans.loan_written_off").actor_id == checker.pk
    # Written off: no more accrual, no more repayments.
    with time_machine.travel(noon("2026-03-21"), tick=False):
        assert servicing_run(day=date(2026, 3, 21)).loans_serviced == 0
    call_command("verify_loans")
    call_command("verify_ledger")


def test_a_rejected_write_off_leaves_the_loan_as_it_was(user, make_staff):
    loan = disbursed_loan(user, on="2026-01-15")
    maker, checker = make_staff("loan officer"), make_staff("loan officer")

    _write_off(console_for(maker), loan, "propose", "disputed")
    page = console_for(checker).get(f"/admin/loans/loan/{loan.pk}/change/")
    _write_off(console_for(checker), loan, "reject", "the borrower is paying")

    assert b"Approve write-off" in page.content
    loan = _loan(loan)
    assert (loan.status, loan.write_off_proposed_by, loan.write_off_reason) == ("active", None, "")
    event = AuditEvent.objects.get(action="loans.write_off_rejected")
    assert event.actor_id == checker.pk and event.metadata["note"] == "the borrower is paying"
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.WRITE_OFF).exists()

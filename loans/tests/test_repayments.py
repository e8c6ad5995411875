"""Repayments: from the wallet through the API, collected on the due date, recorded by
staff for an external payment (back-dated too); allocation fees → interest → principal;
prepayment lowers the later installments; the payoff amount closes the loan; an
overpayment is refused. Each is one balanced ledger entry."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from audit.models import AuditEvent
from conftest import client_for
from loans.models import Loan, Repayment
from loans.services import application_create, application_submit, collections_run, repayment_make, servicing_run
from loans.tests.factories import disbursed_loan, noon
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import Line, entry_post, system_account
from wallets.tests.factories import deposit, funded_wallet

pytestmark = pytest.mark.django_db


def _run(day: str):
    with time_machine.travel(noon(day), tick=False):
        return servicing_run(day=date.fromisoformat(day))


def _repay(client, loan, amount, key="repay-1", **body):
    return client.post(
        f"/api/v1/loans/{loan.public_id}/repayments", {"amount": amount, **body}, HTTP_IDEMPOTENCY_KEY=key
    )


def _loan(loan) -> Loan:
    loan.refresh_from_db()
    return loan


def _balance(kind, currency="USD") -> Decimal:
    return system_account(kind, currency).balance


def _checked():
    call_command("verify_loans")
    call_command("verify_ledger")


def test_an_overdue_installment_is_paid_fee_then_interest_then_principal(user):
    loan = disbursed_loan(user, on="2026-01-15", late_fee_minor=1000, grace_days=3)
    first = loan.installments.get(number=1)
    installment = Decimal(first.principal_minor + first.interest_minor) / 100
    _run("2026-02-20")  # 5 days past due, past the grace: a 10.00 late fee

    with time_machine.travel(noon("2026-02-20"), tick=False):
        client = client_for(user)
        partial = _repay(client, loan, "15.00")
        rest = _repay(client, loan, str(installment - Decimal("5.00")), key="repay-2")

    assert partial.status_code == 201, partial.json()
    body = partial.json()
    # 10.00 to the fee, 5.00 of the 12.00 interest, nothing to principal yet.
    assert (body["fees"], body["interest"], body["principal"]) == ("10.00", "5.00", "0.00")
    assert body["allocation"] == [{"installment": 1, "fee": "10.00", "interest": "5.00", "principal": "0.00"}]
    assert rest.json()["interest"] == "7.00" and rest.json()["principal"] == f"{first.principal_minor / 100:.2f}"
    first.refresh_from_db()
    assert first.paid_on == date(2026, 2, 20) and first.late_fee_paid_minor == 1000
    loan = _loan(loan)
    assert (loan.days_past_due, loan.bucket, loan.fees_outstanding_minor) == (0, "current", 0)
    assert loan.principal_outstanding_minor == 120000 - first.principal_minor
    entries = JournalEntry.objects.filter(kind=JournalEntry.Kind.LOAN_REPAYMENT)
    assert entries.count() == 2
    assert _balance(LedgerAccount.Kind.FEE_RECEIVABLE) == Decimal("0.00")
    assert _balance(LedgerAccount.Kind.FEE_INCOME) == Decimal("10.00")
    event = AuditEvent.objects.filter(action="loans.repayment_recorded").first()
    assert event.actor_id == user.pk and event.metadata["source"] == "wallet"
    _checked()


def test_paying_the_next_installment_early_and_a_prepayment_lowers_the_later_installments(user):
    loan = disbursed_loan(user, on="2026-01-15")
    deposit(loan.wallet, "500.00")
    before = list(loan.installments.order_by("number"))
    first = before[0]
    payment = Decimal(first.principal_minor + first.interest_minor + 20000) / 100  # the installment and 200.00

    with time_machine.travel(noon("2026-02-10"), tick=False):
        response = _repay(client_for(user), loan, str(payment))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["prepaid_principal"] == f"{(first.principal_minor + 20000) / 100:.2f}"
    assert body["allocation"][-1] == {
        "installment": "prepayment",
        "fee": "0.00",
        "interest": "0.00",
        "principal": "200.00",
    }
    after = list(loan.installments.order_by("number"))
    assert len(after) == 12 and after[0].paid_on == date(2026, 2, 10)  # the term stays
    later = after[1:]
    assert sum(row.principal_minor for row in later) == sum(row.principal_minor for row in before[1:]) - 20000
    assert all(
        new.principal_minor + new.interest_minor < old.principal_minor + old.interest_minor
        for new, old in zip(later[:-1], before[1:-1], strict=True)
    )
    assert sum(row.interest_minor for row in later) < sum(row.interest_minor for row in before[1:])
    assert [row.due_date for row in after] == [row.due_date for row in before]
    assert _loan(loan).principal_outstanding_minor == sum(row.principal_minor for row in later)
    _run("2026-02-11")
    _run("2026-03-20")  # accrual goes on over the lowered schedule: interest ahead of accrual is no debt
    _checked()


def test_the_payoff_amount_repays_the_loan_charging_interest_only_to_date(user):
    loan = disbursed_loan(user, on="2026-01-15")
    deposit(loan.wallet, "500.00")
    with time_machine.travel(noon("2026-01-25"), tick=False):
        client = client_for(user)
        shown = client.get(f"/api/v1/loans/{loan.public_id}").json()
        too_much = _repay(client, loan, str(Decimal(shown["payoff_amount"]) + Decimal("0.01")))
        paid = _repay(client, loan, shown["payoff_amount"], key="repay-2")

    assert shown["payoff_amount"] == "1203.87"  # 1200.00 and 10 days of the first month's 12.00
    assert too_much.status_code == 422
    assert too_much.json()["code"] == "overpayment" and too_much.json()["payoff_amount"] == "1203.87"
    assert paid.status_code == 201 and paid.json()["pays_off"] is True
    loan = _loan(loan)
    assert (loan.status, loan.closed_on, loan.principal_outstanding_minor) == ("paid_off", date(2026, 1, 25), 0)
    assert loan.interest_accrued_minor == loan.interest_paid_minor == 387
    assert _balance(LedgerAccount.Kind.LOAN_RECEIVABLE) == Decimal("0.00")
    assert _balance(LedgerAccount.Kind.INTEREST_RECEIVABLE) == Decimal("0.00")
    assert _balance(LedgerAccount.Kind.INTEREST_INCOME) == Decimal("3.87")
    assert AuditEvent.objects.filter(action="loans.loan_paid_off").count() == 1
    with time_machine.travel(noon("2026-01-26"), tick=False):
        closed = _repay(client_for(user), loan, "1.00", key="repay-3")
    assert closed.status_code == 409 and closed.json()["code"] == "loan_not_open"
    assert _run("2026-01-26").loans_serviced == 0
    _checked()


def test_bad_repayments_are_refused_and_post_nothing(user, other_user):
    loan = disbursed_loan(user, on="2026-01-15")
    entries = JournalEntry.objects.count()
    with time_machine.travel(noon("2026-02-15"), tick=False):
        theirs = _repay(client_for(other_user), loan, "10.00")
        broke = _repay(client_for(user), loan, "1201.00", key="repay-2")  # the wallet holds 1200.00
        zero = _repay(client_for(user), loan, "0", key="repay-3")
        cents = _repay(client_for(user), loan, "1.001", key="repay-4")
        euros = funded_wallet("500.00", currency="EUR", owner=user)
        other_currency = _repay(client_for(user), loan, "10.00", key="repay-5", wallet=str(euros.public_id))

    assert theirs.status_code == 404
    assert broke.status_code == 422 and broke.json()["code"] == "insufficient_funds"
    assert zero.status_code == 400 and cents.status_code == 400
    assert other_currency.status_code == 422 and other_currency.json()["code"] == "wallet_currency_mismatch"
    assert JournalEntry.objects.count() == entries + 1  # the EUR wallet's funding, nothing else
    assert Repayment.objects.count() == 0
    assert _loan(loan).interest_paid_minor == 0


def test_the_repayment_is_idempotent_and_listed(user):
    loan = disbursed_loan(user, on="2026-01-15")
    with time_machine.travel(noon("2026-02-15"), tick=False):
        client = client_for(user)
        first = _repay(client, loan, "50.00")
        replay = _repay(client, loan, "50.00")
        listed = client.get(f"/api/v1/loans/{loan.public_id}/repayments")
        schedule = client.get(f"/api/v1/loans/{loan.public_id}/schedule").json()

    assert replay.content == first.content and Repayment.objects.count() == 1
    assert [row["id"] for row in listed.json()] == [first.json()["id"]]
    assert schedule[0]["status"] == "due" and schedule[0]["interest_paid"] == "12.00"
    assert schedule[1]["status"] == "upcoming"


def test_the_collection_job_takes_what_is_due_or_what_the_wallet_holds(user, other_user):
    loan = disbursed_loan(user, on="2026-01-15")
    short = disbursed_loan(other_user, on="2026-01-15")
    clearing = system_account(LedgerAccount.Kind.CLEARING, "USD", rail="bank_transfer")
    entry_post(  # the borrower spends most of the loan: 50.00 stay in the wallet
        kind=JournalEntry.Kind.WITHDRAWAL,
        lines=[Line(short.wallet, Decimal("-1150.00")), Line(clearing, Decimal("1150.00"))],
    )
    first = loan.installments.get(number=1)
    due = first.principal_minor + first.interest_minor
    _run("2026-02-14")

    with time_machine.travel(noon("2026-02-14"), tick=False):
        early = collections_run(day=date(2026, 2, 14))
    with time_machine.travel(noon("2026-02-15"), tick=False):
        result = collections_run(day=date(2026, 2, 15))
        again = collections_run(day=date(2026, 2, 15))

    assert early["loans"] == 0  # nothing is due before the due date
    assert (result["loans"], result["collected"], result["amounts"]) == (2, 2, {"USD": due + 5000})
    collected = Repayment.objects.filter(source=Repayment.Source.COLLECTION)
    assert {(r.loan_id, r.amount_minor, r.received_on) for r in collected} == {
        (loan.pk, due, date(2026, 2, 15)),
        (short.pk, 5000, date(2026, 2, 15)),
    }
    # The second run that day: the loan is paid, the short wallet is empty.
    assert (again["loans"], again["collected"], again["skipped"]) == (1, 0, 1)
    first.refresh_from_db()
    assert first.paid_on == date(2026, 2, 15)
    assert short.installments.get(number=1).paid_on is None
    assert LedgerAccount.objects.get(pk=short.wallet_id).balance == Decimal("0.00")
    _checked()


def test_staff_record_a_back_dated_external_payment_that_waives_the_late_fee_and_cures_the_default(user, make_staff):
    officer = make_staff("loan officer")
    loan = disbursed_loan(user, on="2026-01-15", late_fee_minor=1000, grace_days=5, default_after_days=30)
    first = loan.installments.get(number=1)
    _run("2026-02-21")  # charged the late fee
    _run("2026-03-17")  # 30 days past due: defaulted
    assert _loan(loan).status == "defaulted" and loan.fees_charged_minor == 1000
    owed = sum(r.principal_minor + r.interest_minor for r in loan.installments.filter(number__lte=2))

    with time_machine.travel(noon("2026-03-18"), tick=False):
        repayment = repayment_make(
            loan=loan,
            amount=Decimal(owed + 1000) / 100,
            source=Repayment.Source.EXTERNAL,
            actor=officer,
            received_on=date(2026, 2, 18),  # the money arrived within the grace period
            reference="BANK-123",
        )

    # The first installment counts as paid within its grace period: its fee is waived. The
    # second (due 15 March) is paid as of today, and the 10.00 left goes to the third's interest.
    first.refresh_from_db()
    assert first.paid_on == date(2026, 2, 18) and first.late_fee_minor == 0
    assert repayment.fees_waived_minor == 1000 and repayment.received_on == date(2026, 2, 18)
    assert (repayment.fees_minor, repayment.interest_minor - first.interest_minor) == (
        0,
        1000 + loan.installments.get(number=2).interest_minor,
    )
    assert loan.installments.get(number=2).paid_on == date(2026, 3, 18)
    assert _balance(LedgerAccount.Kind.FEE_INCOME) == Decimal("0.00")
    loan = _loan(loan)
    assert (loan.status, loan.days_past_due, loan.bucket) == ("active", 0, "current")
    assert AuditEvent.objects.filter(action="loans.loan_cured").count() == 1
    clearing = system_account(LedgerAccount.Kind.CLEARING, "USD", rail="bank_transfer")
    assert clearing.balance < 0
    _checked()


def test_underwriting_counts_the_open_loans_next_installment_and_outstanding_principal(user):
    loan = disbursed_loan(user, on="2026-01-15")
    first = loan.installments.get(number=1)
    with time_machine.travel(noon("2026-01-20"), tick=False):
        product = loan.product
        application = application_create(
            applicant=user,
            product=product,
            amount=Decimal("1000.00"),
            term=12,
            purpose="education",
            monthly_income=Decimal("6000.00"),
            monthly_expenses=Decimal("1000.00"),
        )
        decided = application_submit(application=application, actor=user)

    new_installment = Decimal(decided.decision["monthly_installment"])
    existing = Decimal(first.principal_minor + first.interest_minor) / 100
    expected = ((existing + new_installment) * 100 / Decimal("6000.00")).quantize(Decimal("0.01"))
    assert Decimal(decided.decision["debt_to_income_percent"]) == expected


def test_a_late_fee_left_on_a_paid_installment_is_collected_first_and_in_the_payoff(user, make_staff):
    officer = make_staff("loan officer")
    loan = disbursed_loan(user, on="2026-01-15", late_fee_minor=1000, grace_days=0)
    first = loan.installments.get(number=1)
    _run("2026-03-01")  # the first run in a while: the fee is charged on 1 March
    with time_machine.travel(noon("2026-03-02"), tick=False):
        # Paid on 20 February, late: the fee stands, but it was charged after the value date.
        repayment_make(
            loan=loan,
            amount=Decimal(first.principal_minor + first.interest_minor) / 100,
            source=Repayment.Source.EXTERNAL,
            actor=officer,
            received_on=date(2026, 2, 20),
            reference="LATE-1",
        )
        first.refresh_from_db()
        assert (first.paid_on, first.late_fee_due_minor) == (date(2026, 2, 20), 1000)
        client = client_for(user)
        payoff = client.get(f"/api/v1/loans/{loan.public_id}").json()["payoff_amount"]
        paid = _repay(client, loan, payoff)

    assert paid.status_code == 201, paid.json()
    assert paid.json()["fees"] == "10.00" and paid.json()["pays_off"] is True
    assert _loan(loan).status == "paid_off" and loan.fees_outstanding_minor == 0
    assert _balance(LedgerAccount.Kind.FEE_RECEIVABLE) == Decimal("0.00")
    _checked()


def test_an_external_repayment_needs_its_bank_reference_once(user, make_staff):
    from loans.exceptions import ReferenceRequired, RepaymentAlreadyRecorded

    officer = make_staff("loan officer")
    loan = disbursed_loan(user, on="2026-01-15")
    with time_machine.travel(noon("2026-01-20"), tick=False):
        record = dict(loan=loan, amount=Decimal("20.00"), source=Repayment.Source.EXTERNAL, actor=officer)
        with pytest.raises(ReferenceRequired):
            repayment_make(**record, reference="  ")
        repayment_make(**record, reference="SEPA-9")
        with pytest.raises(RepaymentAlreadyRecorded):
            repayment_make(**record, reference="SEPA-9")

    assert Repayment.objects.filter(loan=loan).count() == 1

"""On PostgreSQL, with real concurrent transactions: the servicing job and customers'
repayments run at the same time on the same loans without deadlocks, lost updates or a
drift between the loans and the ledger."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections

from accounts.tests.factories import UserFactory
from loans.models import Loan, Repayment
from loans.services import repayment_make, servicing_run
from loans.services import servicing as servicing_module
from loans.tests.factories import disbursed_loan, noon
from wallets.models import Deposit, LedgerAccount
from wallets.services import system_account
from wallets.services.rails import deposit_confirm, deposit_create

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

LOANS = 8
PAYERS = 4


def test_the_job_repayments_and_deposits_at_once_keep_the_books(monkeypatch):
    monkeypatch.setattr(servicing_module, "BATCH", 2)  # many short batch transactions
    # The fee accounts older (lower ids) than the interest accounts: the job posts accrual
    # before fees, so it must lock them all at once, in id order, as repayments do.
    for kind in (LedgerAccount.Kind.FEE_RECEIVABLE, LedgerAccount.Kind.FEE_INCOME):
        system_account(kind, "USD")
    loans = [
        disbursed_loan(UserFactory(), on="2026-01-15", late_fee_minor=500, grace_days=2, default_after_days=30)
        for _ in range(LOANS)
    ]
    day = date(2026, 3, 20)  # two installments overdue, late fees due, defaults due
    with time_machine.travel(noon(day.isoformat()), tick=False):
        deposits = [
            deposit_create(user=UserFactory(), rail="bank_transfer", currency="USD", amount=Decimal("25.00"))
            for _ in range(6)
        ]
    operator = UserFactory(is_staff=True)
    start = threading.Barrier(PAYERS + 2)
    errors: list[BaseException] = []

    def job() -> None:
        try:
            start.wait(timeout=30)
            servicing_run(day=day)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    def payer(number: int) -> None:
        try:
            start.wait(timeout=30)
            for loan in loans[number::PAYERS]:
                for turn in range(3):
                    if turn == 1:  # a bank transfer recorded by staff: the clearing account, as deposits
                        repayment_make(
                            loan=loan,
                            amount=Decimal("40.00"),
                            source="external",
                            actor=operator,
                            reference=f"BANK-{loan.pk}",
                        )
                    else:
                        repayment_make(loan=loan, amount=Decimal("40.00"), source="wallet", actor=loan.borrower)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def cashier() -> None:  # operations confirm bank deposits meanwhile (audit chain, then clearing)
        try:
            start.wait(timeout=30)
            for deposit in deposits:
                deposit_confirm(deposit=deposit, actor=operator)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(noon(day.isoformat()), tick=True):
        threads = [threading.Thread(target=job), threading.Thread(target=cashier)] + [
            threading.Thread(target=payer, args=(number,)) for number in range(PAYERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert not errors, errors
        servicing_run(day=day)  # whatever the first run found locked or changed is done now

    assert Repayment.objects.count() == LOANS * 3
    assert Repayment.objects.filter(source="external").count() == LOANS
    assert Deposit.objects.filter(status="completed").count() == len(deposits)
    assert Loan.objects.filter(serviced_on=day).count() == LOANS
    assert all(loan.interest_accrued_minor > 0 for loan in Loan.objects.all())
    call_command("verify_loans")
    call_command("verify_ledger")

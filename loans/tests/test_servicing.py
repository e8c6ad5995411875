"""The daily servicing job: accrual that adds up to the schedule, due and overdue, days
past due and buckets, late fees after the grace period, default, reminders; idempotent
per day. On the real database (PostgreSQL in CI) with the real ledger."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from audit.models import AuditEvent
from loans.models import Installment, Loan, ServicingRun
from loans.services import repayment_make, servicing_run
from loans.tests.factories import disbursed_loan, noon
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import system_account

pytestmark = pytest.mark.django_db


def _run(day: str, capture=None) -> ServicingRun:
    with time_machine.travel(noon(day), tick=False):
        return servicing_run(day=date.fromisoformat(day))


def _balance(kind, currency="USD") -> Decimal:
    return system_account(kind, currency).balance


def _loan(loan) -> Loan:
    loan.refresh_from_db()
    return loan


def test_interest_accrues_daily_and_adds_up_to_the_schedule_on_the_due_date(user):
    loan = disbursed_loan(user, on="2026-01-15")
    first = loan.installments.get(number=1)
    assert (first.starts_on, first.due_date, first.interest_minor) == (date(2026, 1, 15), date(2026, 2, 15), 1200)

    run = _run("2026-01-25")

    assert run.loans_serviced == 1 and run.interest_accrued == {"USD": 1200 * 10 // 31}
    assert _loan(loan).interest_accrued_minor == 387 and loan.accrued_through == date(2026, 1, 25)
    assert _balance(LedgerAccount.Kind.INTEREST_RECEIVABLE) == Decimal("-3.87")
    assert _balance(LedgerAccount.Kind.INTEREST_INCOME) == Decimal("3.87")
    for day in range(26, 32):
        _run(f"2026-01-{day}")
    for day in range(1, 16):
        _run(f"2026-02-{day:02d}")
    # Every day's floor adds up to exactly the installment's interest on its due date.
    assert _loan(loan).interest_accrued_minor == 1200
    assert _balance(LedgerAccount.Kind.INTEREST_INCOME) == Decimal("12.00")
    call_command("verify_loans")
    call_command("verify_ledger")


def test_a_rerun_of_the_same_day_posts_nothing_and_a_skipped_day_is_caught_up(user):
    loan = disbursed_loan(user, on="2026-01-15")
    _run("2026-01-20")
    entries = JournalEntry.objects.filter(kind=JournalEntry.Kind.INTEREST_ACCRUAL).count()

    again = _run("2026-01-20")

    assert again.loans_serviced == 1 and again.interest_accrued == {"USD": 193}
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.INTEREST_ACCRUAL).count() == entries == 1
    # Ten days without a run: the next run accrues them all, to the same figure as daily runs.
    _run("2026-03-01")
    second = loan.installments.get(number=2)
    expected = 1200 + second.interest_minor * (date(2026, 3, 1) - second.starts_on).days // 28
    assert _loan(loan).interest_accrued_minor == expected
    call_command("verify_loans")


def test_an_unpaid_installment_becomes_overdue_is_charged_a_late_fee_once_and_the_loan_defaults(user):
    loan = disbursed_loan(
        user,
        on="2026-01-15",
        late_fee_minor=1500,
        late_fee_percent=Decimal("5.00"),
        grace_days=5,
        default_after_days=60,
    )
    first = loan.installments.get(number=1)
    owed = first.principal_minor + first.interest_minor

    _run("2026-02-15")  # due today: not overdue yet
    assert (_loan(loan).days_past_due, loan.bucket) == (0, "current")
    _run("2026-02-16")
    assert (_loan(loan).days_past_due, loan.bucket, loan.fees_charged_minor) == (1, "1-30", 0)
    _run("2026-02-20")  # the fifth day of grace
    assert _loan(loan).fees_charged_minor == 0
    run = _run("2026-02-21")

    fee = 1500 + round(owed * Decimal("0.05"))
    assert run.late_fees == {"USD": fee} and run.late_fees_charged == 1
    assert _loan(loan).fees_charged_minor == fee
    first.refresh_from_db()
    assert (first.late_fee_minor, first.late_fee_charged_on) == (fee, date(2026, 2, 21))
    assert _balance(LedgerAccount.Kind.FEE_RECEIVABLE) == -Decimal(fee) / 100
    _run("2026-02-22")
    assert _loan(loan).fees_charged_minor == fee  # once per installment

    _run("2026-04-15")  # 59 days past due; the second installment is overdue and charged too
    assert (_loan(loan).status, loan.days_past_due, loan.bucket) == ("active", 59, "31-60")
    assert loan.installments.exclude(late_fee_charged_on=None).count() == 2
    run = _run("2026-04-16")
    assert run.defaulted == 1
    assert (_loan(loan).status, loan.days_past_due, loan.bucket) == ("defaulted", 60, "31-60")
    event = AuditEvent.objects.get(action="loans.loan_defaulted")
    assert event.changes == {"status": {"before": "active", "after": "defaulted"}}
    assert event.metadata["days_past_due"] == 60
    _run("2026-05-20")  # a defaulted loan keeps accruing its contractual interest
    assert (_loan(loan).days_past_due, loan.bucket) == (94, "90+")
    call_command("verify_loans")
    call_command("verify_ledger")


@pytest.mark.parametrize(
    ("days", "bucket"), [(0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (61, "61-90"), (91, "90+")]
)
def test_buckets(days, bucket):
    from loans.models import Bucket

    assert Bucket.of(days) == bucket


def test_borrowers_are_reminded_once_before_an_installment_falls_due(user, django_capture_on_commit_callbacks):
    loan = disbursed_loan(user, on="2026-01-15")
    with django_capture_on_commit_callbacks(execute=True):
        _run("2026-02-11")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        run = _run("2026-02-12")  # three days before the due date
    with django_capture_on_commit_callbacks(execute=True):
        _run("2026-02-13")

    assert run.reminders == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    first = loan.installments.get(number=1)
    assert f"{Decimal(first.principal_minor + first.interest_minor) / 100:.2f} USD" in message.body
    assert "15 February 2026" in message.body
    assert Installment.objects.get(pk=first.pk).reminded_on == date(2026, 2, 12)


def test_closed_loans_are_not_serviced(user):
    loan = disbursed_loan(user, on="2026-01-15")
    Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.WRITTEN_OFF)

    run = _run("2026-01-20")

    assert run.loans_serviced == 0 and _loan(loan).interest_accrued_minor == 0


def test_a_late_run_for_an_earlier_day_leaves_a_loan_already_brought_further(user):
    loan = disbursed_loan(user, on="2026-01-15")
    with time_machine.travel(noon("2026-02-01"), tick=False):
        repayment_make(loan=loan, amount=Decimal("1.00"), source="wallet", actor=user)  # accrues to 1 February
    accrued = _loan(loan).interest_accrued_minor

    run = _run("2026-01-25")
    _run("2026-02-02")

    assert run.loans_serviced == 0
    assert _loan(loan).interest_accrued_minor == accrued + (1200 * 18 // 31 - 1200 * 17 // 31)
    call_command("verify_loans")


def test_the_reminder_lead_time_is_a_setting(user, settings, django_capture_on_commit_callbacks):
    settings.LOANS_REMINDER_DAYS = 5
    disbursed_loan(user, on="2026-01-15")
    with django_capture_on_commit_callbacks(execute=True):
        early = _run("2026-02-09")
    with django_capture_on_commit_callbacks(execute=True):
        run = _run("2026-02-10")  # five days before 15 February

    assert (early.reminders, run.reminders, len(mail.outbox)) == (0, 1, 1)

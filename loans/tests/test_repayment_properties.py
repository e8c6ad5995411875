"""Properties of servicing and repayments: whatever customers pay and whenever the job
runs, the loans' figures agree with their schedules and with the ledger."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from loans.models import Loan
from loans.services import repayment_make, servicing_run
from loans.services.repayments import payoff_minor
from loans.tests.factories import disbursed_loan, noon
from loans.verification import loan_problems
from wallets.services.ledger import ledger_day
from wallets.tests.factories import deposit

pytestmark = pytest.mark.django_db

START = date(2026, 1, 15)
events = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=400),  # days after disbursement
        st.booleans(),  # does the servicing job run that day first?
        st.integers(min_value=1, max_value=10_000),  # the payment, in 1/10000 of the payoff amount
    ),
    max_size=6,
).map(sorted)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=events, flat=st.booleans())
def test_the_books_agree_whatever_is_paid_and_whenever_the_job_runs(events, flat):
    user = UserFactory()
    code = "flat-usd" if flat else "personal-usd"
    loan = disbursed_loan(user, on=START.isoformat(), code=code, interest_method="flat" if flat else "declining")
    deposit(loan.wallet, "2000.00")
    for offset, run_job, share in events:
        day = START + timedelta(days=offset)
        with time_machine.travel(noon(day.isoformat()), tick=False):
            if run_job:
                servicing_run(day=day)
            loan.refresh_from_db()
            if not loan.is_open:
                break
            payoff = payoff_minor(list(loan.installments.order_by("number")), ledger_day())
            amount = max(1, payoff * share // 10_000)
            repayment = repayment_make(loan=loan, amount=Decimal(amount) / 100, source="wallet", actor=user)
        assert repayment.fees_minor + repayment.interest_minor + repayment.principal_minor == amount
        loan.refresh_from_db()
        rows = list(loan.installments.order_by("number"))
        assert len(rows) == 12
        assert all(0 <= row.principal_paid_minor <= row.principal_minor for row in rows)
        assert all(0 <= row.interest_paid_minor <= row.interest_minor for row in rows)
        assert loan.principal_outstanding_minor == sum(row.principal_minor - row.principal_paid_minor for row in rows)
        assert (loan.status == Loan.Status.PAID_OFF) == (amount == payoff)
        assert loan_problems(Loan.objects.filter(pk=loan.pk)) == [], events

"""A disbursed loan, made through the services on a given day (with time_machine)."""

from decimal import Decimal

import time_machine

from compliance.tests.factories import kyc_approved
from credit.services.survey import survey_answers_submit
from credit.tests.test_scores import answers
from loans.models import Loan, LoanProduct
from loans.services import application_accept, application_create, application_submit
from loans.tests.test_products import _product


def noon(day: str) -> str:
    return f"{day} 12:00:00+00:00"


def disbursed_loan(user, *, on: str = "2026-01-15", amount="1200.00", term: int = 12, **product_terms) -> Loan:
    """``user`` borrows ``amount`` over ``term`` months on the day ``on`` (a new product
    "personal-usd" with ``product_terms`` unless it exists)."""
    with time_machine.travel(noon(on), tick=False):
        product = LoanProduct.objects.filter(code=product_terms.get("code", "personal-usd")).first()
        if product is None:
            product = _product(min_score=0, **product_terms)
        if not user.kyc_submissions.exists():
            kyc_approved(user)
        survey_answers_submit(user=user, answers=answers("best"))
        application = application_create(
            applicant=user,
            product=product,
            amount=Decimal(amount),
            term=term,
            purpose="education",
            monthly_income=Decimal("6000.00"),
            monthly_expenses=Decimal("1000.00"),
        )
        application = application_submit(application=application, actor=user)
        assert application.status == "approved", application.decision
        return application_accept(application=application, actor=user)

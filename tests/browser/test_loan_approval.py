"""A loan officer decides a referred application in a real browser: signs in with TOTP,
opens the queue of applications awaiting a decision, reads the application's page and
approves it; the customer's API then says approved."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, totp_code
from compliance.tests.factories import kyc_approved
from conftest import client_for
from credit.services.survey import survey_answers_submit
from credit.tests.test_scores import answers
from loans.models import LoanApplication
from loans.tests.test_products import _product
from tests.browser.test_admin_login import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_loan_officer_approves_a_referred_application(page: Page, console_url, make_staff, user):
    kyc_approved(user)
    survey_answers_submit(user=user, answers=answers("best"))
    _product(min_score=0, max_debt_to_income_percent=Decimal("60"))
    customer = client_for(user)
    draft = customer.post(
        "/api/v1/loans/applications",
        {
            "product": "personal-usd",
            "amount": "1000.00",
            "term": 12,
            "purpose": "education",
            "monthly_income": "1150.00",  # the installment takes over half of what is left
            "monthly_expenses": "1000.00",
        },
    ).json()
    submitted = customer.post(f"/api/v1/loans/applications/{draft['id']}/submit").json()
    assert submitted["status"] == "referred", submitted
    officer = make_staff("loan officer")

    sign_in(page, console_url, email=officer.email, password=PASSWORD, code=totp_code(officer.totp_device))
    page.goto(f"{console_url}loans/loanapplication/?queue=awaiting")
    row = page.locator("#result_list tbody tr", has_text=user.email)
    expect(row).to_have_count(1)
    row.locator("th a, td a").first.click()
    expect(page.locator("#loan-score")).to_contain_text("installment_strains_budget")
    expect(page.locator("#loan-schedule tbody tr")).to_have_count(12)
    page.select_option("select[name=decision]", "approve")
    page.fill("textarea[name=note]", "Salary confirmed by phone.")
    page.click("input[name=_decide]")
    expect(page.locator(".messagelist")).to_contain_text("Approved")

    application = LoanApplication.objects.get(public_id=draft["id"])
    assert application.status == "approved" and application.decided_by == officer
    seen = customer.get(f"/api/v1/loans/applications/{draft['id']}").json()
    assert (seen["status"], seen["approved_amount"]) == ("approved", "1000.00")

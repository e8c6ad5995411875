"""Loan products (kept in the console, audited) and quotes through the API."""

from datetime import date
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from conftest import console_for
from loans import schedules
from loans.models import LoanProduct

pytestmark = pytest.mark.django_db


def _product(**overrides) -> LoanProduct:
    terms = {
        "code": "personal-usd",
        "name": "Personal loan",
        "currency": "USD",
        "min_amount_minor": 10_000,  # 100.00
        "max_amount_minor": 500_000,  # 5000.00
        "min_term": 3,
        "max_term": 36,
        "interest_method": LoanProduct.InterestMethod.DECLINING,
        "frequency": LoanProduct.Frequency.MONTHLY,
        "annual_rate_percent": Decimal("12.000"),
        "origination_fee_percent": Decimal("0"),
        **overrides,
    }
    return LoanProduct.objects.create(**terms)


def _quote(client, **body):
    return client.post("/api/v1/loans/quote", {"product": "personal-usd", "amount": "1000.00", "term": 12, **body})


def test_customers_see_the_products_on_offer_only(auth_client, api_client):
    _product()
    _product(code="retired", is_active=False)

    listed = auth_client.get("/api/v1/loans/products")

    assert listed.status_code == 200
    assert [(p["code"], p["min_amount"], p["max_amount"]) for p in listed.json()] == [
        ("personal-usd", "100.00", "5000.00")
    ]
    assert api_client.get("/api/v1/loans/products").status_code == 401


def test_a_quote_is_the_full_schedule_with_its_cost_and_apr(auth_client):
    _product()

    response = _quote(auth_client)

    assert response.status_code == 200, response.json()
    quote = response.json()
    rows = quote["installments"]
    assert len(rows) == 12
    assert sum(Decimal(row["principal"]) for row in rows) == Decimal("1000.00")
    assert rows[0]["payment"] == "88.85" and rows[0]["interest"] == "10.00"
    assert rows[-1]["balance_after"] == "0.00"
    assert Decimal(quote["total_interest"]) == sum(Decimal(row["interest"]) for row in rows)
    assert quote["total_cost"] == quote["total_interest"]  # no fee
    assert Decimal(quote["total_payable"]) == Decimal("1000.00") + Decimal(quote["total_interest"])
    assert quote["amount_disbursed"] == "1000.00"
    # 12 % nominal, monthly: an effective annual rate of (1 + 0.01)^12 - 1 = 12.68 %.
    assert quote["apr_percent"] == "12.7"
    assert "2008/48/EC" in quote["apr_definition"]
    assert date.fromisoformat(rows[0]["due_date"]) > date.fromisoformat(quote["start_date"])


def test_the_origination_fee_is_withheld_and_raises_the_apr(auth_client):
    _product(origination_fee_percent=Decimal("2.00"))

    quote = _quote(auth_client).json()

    assert quote["origination_fee"] == "20.00"
    assert quote["amount_disbursed"] == "980.00"
    assert Decimal(quote["total_cost"]) == Decimal(quote["total_interest"]) + Decimal("20.00")
    assert Decimal(quote["apr_percent"]) > Decimal("12.7")
    # The API's schedule and APR are the schedule module's, for the quote's start day.
    installments = schedules.schedule(
        amount=Decimal("1000.00"),
        currency="USD",
        annual_rate=Decimal("0.12"),
        term=12,
        method="declining",
        frequency="monthly",
        start=date.fromisoformat(quote["start_date"]),
    )
    assert [row["payment"] for row in quote["installments"]] == [str(item.payment) for item in installments]
    assert quote["apr_percent"] == str(
        schedules.apr(
            amount=Decimal("1000.00"),
            fee=Decimal("20.00"),
            installments=installments,
            start=date.fromisoformat(quote["start_date"]),
        )
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": "99.99"}, 422, "amount_outside_product"),
        ({"amount": "5000.01"}, 422, "amount_outside_product"),
        ({"term": 2}, 422, "term_outside_product"),
        ({"term": 37}, 422, "term_outside_product"),
        ({"product": "no-such-product"}, 422, "product_unavailable"),
        ({"product": "retired"}, 422, "product_unavailable"),
        ({"amount": "1000.001"}, 400, "validation_error"),
        ({"amount": 1000.0}, 400, "validation_error"),
        ({"amount": "1e3"}, 400, "validation_error"),
        ({"amount": "-100.00"}, 400, "validation_error"),
        ({"amount": "NaN"}, 400, "validation_error"),
        ({"term": 0}, 400, "validation_error"),
        ({"rate": "1"}, 400, "validation_error"),
    ],
)
def test_bad_quotes_are_refused_with_a_stable_code(auth_client, body, status, code):
    _product()
    _product(code="retired", is_active=False)

    response = _quote(auth_client, **body)

    assert response.status_code == status, response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_an_administrator_keeps_products_in_the_console_and_every_change_is_audited(make_staff):
    admin = make_staff("administrator")
    console = console_for(admin)
    form = {
        "code": "salary-advance",
        "name": "Salary advance",
        "description": "",
        "currency": "USD",
        "is_active": "on",
        "min_amount_minor": "5000",
        "max_amount_minor": "100000",
        "min_term": "1",
        "max_term": "6",
        "interest_method": "flat",
        "frequency": "monthly",
        "annual_rate_percent": "18.000",
        "origination_fee_percent": "1.00",
        "late_fee_minor": "500",
        "late_fee_percent": "0",
        "grace_days": "3",
        "min_score": "550",
        "max_debt_to_income_percent": "40.00",
        "second_approval_above_minor": "50000",
    }

    added = console.post("/admin/loans/loanproduct/add/", form)
    product = LoanProduct.objects.get(code="salary-advance")
    changed = console.post(f"/admin/loans/loanproduct/{product.pk}/change/", {**form, "annual_rate_percent": "16.500"})
    refused = console.post(f"/admin/loans/loanproduct/{product.pk}/change/", {**form, "max_amount_minor": "1000"})

    assert added.status_code == 302 and changed.status_code == 302
    assert refused.status_code == 200 and b"must not be below the smallest" in refused.content
    product.refresh_from_db()
    assert product.annual_rate_percent == Decimal("16.500") and product.max_amount_minor == 100_000
    assert product.updated_by == admin
    events = list(AuditEvent.objects.filter(action="loans.product_saved").order_by("id"))
    assert len(events) == 2
    assert events[1].changes == {"annual_rate_percent": {"before": "18.000", "after": "16.500"}}
    assert console.post(f"/admin/loans/loanproduct/{product.pk}/delete/", {"post": "yes"}).status_code == 403


def test_a_loan_officer_reads_products_but_cannot_change_them(make_staff):
    product = _product()
    console = console_for(make_staff("loan officer"))

    assert console.get(f"/admin/loans/loanproduct/{product.pk}/change/").status_code == 200
    assert console.post("/admin/loans/loanproduct/add/", {"code": "x"}).status_code == 403


def test_the_demo_products_load_once(auth_client):
    from django.core.management import call_command

    call_command("load_demo_loans")
    call_command("load_demo_loans")

    listed = auth_client.get("/api/v1/loans/products").json()
    assert sorted(product["code"] for product in listed) == ["microloan-eur", "personal-usd"]
    quote = auth_client.post("/api/v1/loans/quote", {"product": "microloan-eur", "amount": "260.00", "term": 26})
    assert quote.status_code == 200 and len(quote.json()["installments"]) == 26

"""The loan portfolio report: GET admin/loans/portfolio (JSON and CSV) and its console page.

Loans are disbursed through the services; the figures the servicing job keeps (days past
due, bucket, interest accrued, late fees, status) are then set directly on the rows.
"""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import include, path
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from blockscore import money
from blockscore.urls import urlpatterns as project_urlpatterns
from compliance.tests.factories import kyc_approved
from conftest import client_for, console_for
from credit.services.survey import survey_answers_submit
from credit.tests.test_scores import answers
from loans import selectors, services
from loans.admin_portfolio import portfolio_urls
from loans.models import Bucket, Loan, LoanProduct, Repayment
from loans.tests.test_products import _product
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import Line, entry_post, system_account
from wallets.tests.factories import deposit

pytestmark = pytest.mark.django_db

# Every staff role holds loans.view_loan and loans.view_repayment (loans/migrations/0008).
PORTFOLIO_ROLES = ("loan officer", "auditor", "administrator", "operations", "compliance officer")

# The console page mounted at the console's root, as blockscore/urls.py is to do.
urlpatterns = [path("admin/", include(portfolio_urls(admin.site))), *project_urlpatterns]

URL = "/api/v1/admin/loans/portfolio"
TODAY = timezone.localdate(timezone=timezone.get_default_timezone())
LONG_AGO = TODAY - timedelta(days=400)


def borrower():
    user = UserFactory()
    kyc_approved(user)
    survey_answers_submit(user=user, answers=answers("best"))
    return user


def product_for(currency: str) -> LoanProduct:
    code = f"personal-{currency.lower()}"
    existing = LoanProduct.objects.filter(code=code).first()
    if existing:
        return existing
    if currency == "JPY":
        return _product(code=code, currency="JPY", min_amount_minor=10_000, max_amount_minor=1_000_000)
    return _product(code=code, currency=currency, min_score=0)


def disburse(user, amount: str, *, currency: str = "USD", term: int = 12) -> Loan:
    """Apply, be approved by underwriting, accept: the loan is disbursed into the wallet."""
    draft = services.application_create(
        applicant=user,
        product=product_for(currency),
        amount=Decimal(amount),
        term=term,
        purpose="education",
        monthly_income=Decimal("900000") if currency == "JPY" else Decimal("9000.00"),
        monthly_expenses=Decimal("100000") if currency == "JPY" else Decimal("1000.00"),
    )
    application = services.application_submit(application=draft, actor=user)
    assert application.status == "approved", application.decision
    return services.application_accept(application=application, actor=user)


def service(loan: Loan, **figures) -> Loan:
    """Set what the servicing job (days past due, bucket, accruals, fees, status) would have."""
    if "days_past_due" in figures:
        figures.setdefault("bucket", Bucket.of(figures["days_past_due"]))
    Loan.objects.filter(pk=loan.pk).update(**figures)
    loan.refresh_from_db()
    return loan


def repay(loan: Loan, *, received_on: date, fees="0", interest="0", principal="0") -> Repayment:
    """A repayment from the borrower's wallet (topped up by a bank deposit first), posted
    to the ledger and split as loans.services.repayments would split it."""
    code = loan.currency
    parts = [Decimal(fees), Decimal(interest), Decimal(principal)]
    deposit(loan.wallet, sum(parts))
    lines = [Line(loan.wallet, -sum(parts))]
    for kind, amount in zip(
        [LedgerAccount.Kind.FEE_RECEIVABLE, LedgerAccount.Kind.INTEREST_RECEIVABLE, LedgerAccount.Kind.LOAN_RECEIVABLE],
        parts,
        strict=True,
    ):
        if amount:
            lines.append(Line(system_account(kind, code), amount))
    entry = entry_post(kind=JournalEntry.Kind.LOAN_REPAYMENT, lines=lines, memo="test repayment")
    fees_minor, interest_minor, principal_minor = (money.to_minor_units(part, code) for part in parts)
    return Repayment.objects.create(
        loan=loan,
        source=Repayment.Source.WALLET,
        amount_minor=fees_minor + interest_minor + principal_minor,
        received_on=received_on,
        fees_minor=fees_minor,
        interest_minor=interest_minor,
        principal_minor=principal_minor,
        entry=entry,
        recorded_at=timezone.now(),
    )


def long_ago(loan: Loan) -> None:
    Loan.objects.filter(pk=loan.pk).update(
        disbursed_at=datetime(LONG_AGO.year, LONG_AGO.month, LONG_AGO.day, 12, tzinfo=UTC)
    )


@pytest.fixture
def book():
    """A USD book of six loans (one per status and bucket of interest) and a JPY loan.

    USD open loans: 1000.00 current, 600.00 at 30 days (1-30), 1500.00 at 45 days (31-60),
    1200.00 defaulted at 120 days (90+): 4300.00 open, 2700.00 more than 30 days past due
    (62.79 %), 1200.00 more than 90 (27.91 %). Closed: 500.00 paid off and 800.00 written
    off, both disbursed long ago (outside this month).
    """
    loans = {
        "current": disburse(borrower(), "1000.00"),
        "dpd30": service(disburse(borrower(), "600.00"), days_past_due=30),
        "dpd45": service(
            disburse(borrower(), "2000.00"),
            days_past_due=45,
            principal_outstanding_minor=150_000,
            interest_accrued_minor=4_000,
            interest_paid_minor=1_000,
            fees_charged_minor=1_500,
            fees_paid_minor=500,
        ),
        "defaulted": service(
            disburse(borrower(), "1500.00"),
            status=Loan.Status.DEFAULTED,
            days_past_due=120,
            principal_outstanding_minor=120_000,
            interest_accrued_minor=2_550,
        ),
        "paid_off": service(
            disburse(borrower(), "500.00"),
            status=Loan.Status.PAID_OFF,
            principal_outstanding_minor=0,
            interest_accrued_minor=1_000,
            interest_paid_minor=1_000,
            closed_on=TODAY,
        ),
        "written_off": service(
            disburse(borrower(), "800.00"), status=Loan.Status.WRITTEN_OFF, days_past_due=150, closed_on=TODAY
        ),
        "yen": service(disburse(borrower(), "50000", currency="JPY"), days_past_due=95),
    }
    long_ago(loans["paid_off"])
    long_ago(loans["written_off"])
    repay(loans["dpd45"], received_on=TODAY, fees="5.00", interest="10.00", principal="500.00")
    repay(loans["dpd45"], received_on=LONG_AGO, principal="100.00")
    repay(loans["paid_off"], received_on=TODAY, interest="10.00", principal="500.00")
    return loans


def _by_key(items, key):
    return {item[key]: (item["loans"], item["amount"]) for item in items}


def test_the_report_gives_each_currencys_book_by_status_and_bucket_with_par(book, staff_client):
    response = staff_client("loan officer").get(URL)

    assert response.status_code == 200, response.content
    report = response.json()
    assert report["period"] == {"start": TODAY.replace(day=1).isoformat(), "end": TODAY.isoformat()}
    assert [entry["currency"] for entry in report["currencies"]] == ["JPY", "USD"]
    yen, usd = report["currencies"]
    assert usd["open"] == {"loans": 4, "amount": "4300.00"}
    assert _by_key(usd["by_status"], "status") == {
        "active": (3, "3100.00"),
        "paid_off": (1, "0.00"),
        "defaulted": (1, "1200.00"),
        "written_off": (1, "800.00"),
    }
    assert _by_key(usd["by_bucket"], "bucket") == {  # open loans only: not the written-off one at 150 days
        "current": (1, "1000.00"),
        "1-30": (1, "600.00"),
        "31-60": (1, "1500.00"),
        "61-90": (0, "0.00"),
        "90+": (1, "1200.00"),
    }
    assert usd["par30"] == {"loans": 2, "amount": "2700.00", "percent": "62.79"}  # 30 days exactly is not > 30
    assert usd["par90"] == {"loans": 1, "amount": "1200.00", "percent": "27.91"}
    assert (usd["interest_accrued"], usd["interest_receivable"], usd["fees_outstanding"]) == ("65.50", "55.50", "10.00")
    assert yen["open"] == {"loans": 1, "amount": "50000"}  # yen have no minor unit
    assert yen["par30"] == yen["par90"] == {"loans": 1, "amount": "50000", "percent": "100.00"}


def test_disbursements_and_collections_count_in_the_period_only(book, staff_client):
    client = staff_client("auditor")

    this_month = client.get(URL).json()["currencies"][1]
    back_then = client.get(URL, {"from": LONG_AGO.isoformat(), "to": LONG_AGO.isoformat()}).json()["currencies"][1]

    assert this_month["disbursed"] == {"loans": 4, "amount": "5100.00"}
    assert this_month["collections"] == {
        "repayments": 2,
        "loans": 2,
        "amount": "1025.00",
        "fees": "5.00",
        "interest": "20.00",
        "principal": "1000.00",
    }
    assert back_then["disbursed"] == {"loans": 2, "amount": "1300.00"}
    assert back_then["collections"]["amount"] == back_then["collections"]["principal"] == "100.00"
    assert back_then["open"] == this_month["open"]  # the book itself is as of now


def test_the_period_runs_from_the_first_of_the_month_of_to_when_from_is_missing(staff_client):
    client = staff_client("administrator")

    report = client.get(URL, {"to": "2025-02-14"}).json()

    assert report["period"] == {"start": "2025-02-01", "end": "2025-02-14"}
    assert report["currencies"] == []
    everything = client.get(URL, {"from": "0001-01-01", "to": "9999-12-31"})
    assert everything.status_code == 200 and everything.json()["period"]["end"] == "9999-12-31"


def test_the_csv_has_one_row_per_currency_dimension_and_key_and_is_audited(book, staff_client):
    client = staff_client("loan officer")

    export = client.get(URL, {"format": "csv"})

    assert export.status_code == 200
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    start = TODAY.replace(day=1)
    assert export["Content-Disposition"].startswith(
        f'attachment; filename="loans-portfolio-{start:%Y%m%d}-{TODAY:%Y%m%d}-'
    )
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0] == ["currency", "dimension", "key", "loans", "amount", "percent"]
    usd = [row[1:] for row in rows[1:] if row[0] == "USD"]
    assert usd == [
        ["portfolio", "open", "4", "4300.00", ""],
        ["status", "active", "3", "3100.00", ""],
        ["status", "paid_off", "1", "0.00", ""],
        ["status", "defaulted", "1", "1200.00", ""],
        ["status", "written_off", "1", "800.00", ""],
        ["bucket", "current", "1", "1000.00", ""],
        ["bucket", "1-30", "1", "600.00", ""],
        ["bucket", "31-60", "1", "1500.00", ""],
        ["bucket", "61-90", "0", "0.00", ""],
        ["bucket", "90+", "1", "1200.00", ""],
        ["par", "par30", "2", "2700.00", "62.79"],
        ["par", "par90", "1", "1200.00", "27.91"],
        ["interest", "accrued", "4", "65.50", ""],
        ["interest", "receivable", "4", "55.50", ""],
        ["fees", "outstanding", "4", "10.00", ""],
        ["disbursed", "period", "4", "5100.00", ""],
        ["collections", "amount", "2", "1025.00", ""],
        ["collections", "fees", "2", "5.00", ""],
        ["collections", "interest", "2", "20.00", ""],
        ["collections", "principal", "2", "1000.00", ""],
    ]
    assert ["JPY", "par", "par90", "1", "50000", "100.00"] in rows
    event = AuditEvent.objects.get(action="audit.exported")
    assert (event.actor, event.target_id) == (client.user, "loans-portfolio")
    assert event.metadata["period"] == {"from": start.isoformat(), "to": TODAY.isoformat()}


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-13-01"},
        {"from": "2026-02-30"},
        {"to": "yesterday"},
        {"from": "20260101"},
        {"from": "2026-W01-1"},
        {"from": "2026-03-02", "to": "2026-03-01"},
    ],
)
def test_a_bad_period_is_a_400_problem(staff_client, query):
    response = staff_client("loan officer").get(URL, query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "invalid_period"
    assert set(problem["errors"]) <= {"from", "to"} and problem["errors"]
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def _staff_with(*codenames):
    """A staff user (TOTP enrolled, session passed MFA) with these loans permissions and no role."""
    staff = UserFactory(roles=[], is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="loans", codename__in=codenames))
    return client_for(staff, mfa=True)


def test_only_staff_who_see_loans_and_repayments_and_passed_mfa_see_the_portfolio(
    api_client, auth_client, staff_client, make_staff
):
    assert api_client.get(URL).status_code == 401
    assert auth_client.get(URL).status_code == 403  # a customer
    assert _staff_with("view_loan").get(URL).status_code == 403
    assert _staff_with("view_repayment").get(URL).status_code == 403
    assert _staff_with("view_loan", "view_repayment").get(URL).status_code == 200
    no_mfa = client_for(make_staff("loan officer"), mfa=False).get(URL)
    assert no_mfa.status_code == 403 and no_mfa.json()["code"] == "mfa_required"
    assert auth_client.get(URL, {"format": "csv"}).status_code == 403
    for role in PORTFOLIO_ROLES:
        assert staff_client(role).get(URL).status_code == 200
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_the_report_is_two_grouped_queries_however_many_loans(book, django_assert_num_queries):
    with django_assert_num_queries(2):
        report = selectors.loan_portfolio(start=TODAY.replace(day=1), end=TODAY)

    assert [book.currency for book in report.currencies] == ["JPY", "USD"]


def test_exposure_is_the_outstanding_principal_of_open_loans_per_currency():
    user = borrower()
    first = disburse(user, "1000.00")
    service(disburse(user, "400.00"), principal_outstanding_minor=25_000)
    service(disburse(user, "300.00"), status=Loan.Status.PAID_OFF, principal_outstanding_minor=0)
    service(disburse(user, "20000", currency="JPY"), status=Loan.Status.DEFAULTED)
    disburse(borrower(), "700.00")  # someone else's

    assert first.principal_outstanding_minor == 100_000
    assert selectors.exposure(user) == {"USD": 125_000, "JPY": 20_000}
    assert selectors.exposure(UserFactory()) == {}


# The console page.


@pytest.mark.urls(__name__)
def test_the_console_page_shows_the_tables_per_currency_to_a_loan_officer(book, make_staff):
    officer = make_staff("loan officer")

    page = console_for(officer).get("/admin/loans/portfolio/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="portfolio-USD"' in html and 'id="portfolio-JPY"' in html
    assert "<td>PAR30 (more than 30 days past due)</td><td>2</td><td>2700.00</td><td>62.79</td>" in html
    assert "<td>31–60 days past due</td><td>1</td><td>1500.00</td>" in html
    start = TODAY.replace(day=1).isoformat()
    assert f'href="?format=csv&amp;from={start}&amp;to={TODAY.isoformat()}"' in html


@pytest.mark.urls(__name__)
def test_the_console_exports_the_same_csv_and_audits_it(book, make_staff):
    officer = make_staff("auditor")

    export = console_for(officer).get("/admin/loans/portfolio/", {"format": "csv", "from": LONG_AGO.isoformat()})

    assert export.status_code == 200 and export["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert ["USD", "disbursed", "period", "6", "6400.00", ""] in rows
    event = AuditEvent.objects.get(action="audit.exported")
    assert event.actor == officer and event.metadata["path"] == "/admin/loans/portfolio/"


@pytest.mark.urls(__name__)
def test_a_bad_period_in_the_console_falls_back_to_this_month(make_staff):
    page = console_for(make_staff("loan officer")).get("/admin/loans/portfolio/", {"from": "soon"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "Showing the current month to date." in html
    assert f'name="from" value="{TODAY.replace(day=1).isoformat()}"' in html


@pytest.mark.urls(__name__)
def test_the_console_page_refuses_customers_and_staff_without_the_permissions(user, make_staff):
    customer = console_for(user, verified=False).get("/admin/loans/portfolio/")
    unverified = console_for(make_staff("loan officer"), verified=False).get("/admin/loans/portfolio/")
    no_role = console_for(make_staff()).get("/admin/loans/portfolio/")

    assert customer.status_code == 302 and customer["Location"].startswith("/admin/login/")
    assert unverified.status_code == 302 and unverified["Location"].startswith("/admin/login/")
    assert no_role.status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()

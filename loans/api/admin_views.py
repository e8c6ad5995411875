"""(staff) The loan portfolio report: ``GET admin/loans/portfolio``, JSON or ``?format=csv``.

Read-only figures from ``loans.selectors.loan_portfolio``; the console page
(``loans.admin_portfolio``) shows the same output and exports the same CSV. An export is
recorded as an ``audit.exported`` event, as the other staff exports are.
"""

import re
from datetime import date

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore import auditing, money
from blockscore.api.export import FORMAT_PARAMETER, csv_rows
from blockscore.api.permissions import IsStaffWithMfa
from blockscore.exceptions import ValidationFailed
from loans import selectors
from loans.models import Bucket, Loan

# The report sums loans and repayments: whoever may read those row by row may read the
# sums (every staff role but the customer's, see docs/permissions.md).
PORTFOLIO_PERMISSIONS = ("loans.view_loan", "loans.view_repayment")
CSV_NAME = "loans-portfolio"
CSV_HEADER = ["currency", "dimension", "key", "loans", "amount", "percent"]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class InvalidPeriod(ValidationFailed):
    code = "invalid_period"
    default_detail = "The period must be two dates, YYYY-MM-DD, from no later than to."


def period_from_query(params, *, today: date | None = None) -> tuple[date, date]:
    """``from``/``to`` (YYYY-MM-DD, both included); by default the current month to date,
    and ``from`` alone runs to today, ``to`` alone from the first of its month."""
    errors: dict[str, list[str]] = {}
    parsed: dict[str, date | None] = {}
    for name in ("from", "to"):
        text = (params.get(name) or "").strip()
        parsed[name] = None
        if not text:
            continue
        try:
            if not _ISO_DATE.fullmatch(text):  # fromisoformat alone also reads 20260131 and 2026-W05-1
                raise ValueError(text)
            parsed[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = ["A date, YYYY-MM-DD."]
    if errors:
        raise InvalidPeriod(extra={"errors": errors})
    default_start, default_end = selectors.default_period(today)
    end = parsed["to"] or default_end
    start = parsed["from"] or (end.replace(day=1) if parsed["to"] else default_start)
    if start > end:
        raise InvalidPeriod("`from` is after `to`.", extra={"errors": {"from": ["Not after `to`."]}})
    return start, end


def _amount(minor: int, currency: str) -> str:
    return money.format_amount(money.from_minor_units(minor, currency), currency)


def _figure(figure: selectors.Figure, currency: str, **extra) -> dict:
    return {**extra, "loans": figure.loans, "amount": _amount(figure.amount_minor, currency)}


def portfolio_output(report: selectors.Portfolio) -> dict:
    """The report as the API shows it: amounts as strings at the currency's minor unit
    (the entries also carry display labels, which the console uses)."""
    statuses, buckets = dict(Loan.Status.choices), dict(Bucket.choices)
    currencies = []
    for book in report.currencies:
        code = book.currency
        collections = book.collections
        currencies.append(
            {
                "currency": code,
                "open": _figure(book.open, code),
                "by_status": [
                    _figure(figure, code, status=status, label=statuses[status])
                    for status, figure in book.by_status.items()
                ],
                "by_bucket": [
                    _figure(figure, code, bucket=bucket, label=buckets[bucket])
                    for bucket, figure in book.by_bucket.items()
                ],
                "par30": _figure(book.at_risk[30], code, percent=str(book.par_percent(30))),
                "par90": _figure(book.at_risk[90], code, percent=str(book.par_percent(90))),
                "interest_accrued": _amount(book.interest_accrued_minor, code),
                "interest_receivable": _amount(book.interest_receivable_minor, code),
                "fees_outstanding": _amount(book.fees_outstanding_minor, code),
                "disbursed": _figure(book.disbursed, code),
                "collections": {
                    "repayments": collections.repayments,
                    "loans": collections.loans,
                    "amount": _amount(collections.amount_minor, code),
                    "fees": _amount(collections.fees_minor, code),
                    "interest": _amount(collections.interest_minor, code),
                    "principal": _amount(collections.principal_minor, code),
                },
            }
        )
    return {
        "period": {"start": report.start, "end": report.end},
        "generated_at": timezone.now(),
        "currencies": currencies,
    }


def portfolio_csv_rows(output: dict) -> list[list]:
    """One row per currency × dimension × key: ``loans`` is a number of loans, ``amount``
    is in the currency, ``percent`` is set on the PAR rows only."""
    rows = []
    for book in output["currencies"]:
        code = book["currency"]
        rows.append([code, "portfolio", "open", book["open"]["loans"], book["open"]["amount"], ""])
        rows += [[code, "status", item["status"], item["loans"], item["amount"], ""] for item in book["by_status"]]
        rows += [[code, "bucket", item["bucket"], item["loans"], item["amount"], ""] for item in book["by_bucket"]]
        for key in ("par30", "par90"):
            rows.append([code, "par", key, book[key]["loans"], book[key]["amount"], book[key]["percent"]])
        rows.append([code, "interest", "accrued", book["open"]["loans"], book["interest_accrued"], ""])
        rows.append([code, "interest", "receivable", book["open"]["loans"], book["interest_receivable"], ""])
        rows.append([code, "fees", "outstanding", book["open"]["loans"], book["fees_outstanding"], ""])
        rows.append([code, "disbursed", "period", book["disbursed"]["loans"], book["disbursed"]["amount"], ""])
        collections = book["collections"]
        for key in ("amount", "fees", "interest", "principal"):
            rows.append([code, "collections", key, collections["loans"], collections[key], ""])
    return rows


def portfolio_csv_response(output: dict, *, request) -> HttpResponse:
    """The CSV export of the report, recorded as an ``audit.exported`` event."""
    period = output["period"]
    auditing.record_audit(
        action="audit.exported",
        actor=request.user,
        target_type="export",
        target_id=CSV_NAME,
        metadata={
            "path": request.path,
            "filters": dict(request.GET.lists()),
            "period": {"from": period["start"].isoformat(), "to": period["end"].isoformat()},
        },
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response = HttpResponse(
        "".join(csv_rows(CSV_HEADER, portfolio_csv_rows(output))), content_type="text/csv; charset=utf-8"
    )
    filename = f"{CSV_NAME}-{period['start']:%Y%m%d}-{period['end']:%Y%m%d}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    return response


class FigureOutput(serializers.Serializer):
    loans = serializers.IntegerField(help_text="Number of loans.")
    amount = serializers.CharField(help_text="Amount at the currency's minor unit, e.g. `1250.00`.")


class StatusFigureOutput(FigureOutput):
    status = serializers.ChoiceField(choices=Loan.Status.choices)


class BucketFigureOutput(FigureOutput):
    bucket = serializers.ChoiceField(choices=Bucket.choices)


class AtRiskOutput(FigureOutput):
    percent = serializers.CharField(
        help_text="Share of the open loans' outstanding principal, in %, 2 places (`0.00` when nothing is open)."
    )


class CollectionsOutput(serializers.Serializer):
    repayments = serializers.IntegerField()
    loans = serializers.IntegerField(help_text="Loans that received a repayment.")
    amount = serializers.CharField(help_text="Everything received: fees + interest + principal.")
    fees = serializers.CharField()
    interest = serializers.CharField()
    principal = serializers.CharField()


class CurrencyPortfolioOutput(serializers.Serializer):
    currency = serializers.CharField()
    open = FigureOutput(help_text="Open loans (active and defaulted) and their outstanding principal.")
    by_status = StatusFigureOutput(many=True, help_text="Every loan by status: outstanding principal.")
    by_bucket = BucketFigureOutput(many=True, help_text="Open loans by delinquency bucket: outstanding principal.")
    par30 = AtRiskOutput(help_text="Open loans more than 30 days past due.")
    par90 = AtRiskOutput(help_text="Open loans more than 90 days past due.")
    interest_accrued = serializers.CharField(help_text="Interest accrued to date on the open loans.")
    interest_receivable = serializers.CharField(help_text="Of it, not yet paid (negative when paid ahead).")
    fees_outstanding = serializers.CharField(help_text="Late fees charged on the open loans and not yet paid.")
    disbursed = FigureOutput(help_text="Loans disbursed in the period and their principal.")
    collections = CollectionsOutput(help_text="Repayments received (value date) in the period.")


class PeriodOutput(serializers.Serializer):
    start = serializers.DateField(help_text="First day, included.")
    end = serializers.DateField(help_text="Last day, included.")


class PortfolioOutput(serializers.Serializer):
    period = PeriodOutput()
    generated_at = serializers.DateTimeField()
    currencies = CurrencyPortfolioOutput(many=True, help_text="One entry per currency with loans, by code.")


class PortfolioView(APIView):
    permission_classes = [IsStaffWithMfa]
    required_permissions = PORTFOLIO_PERMISSIONS
    throttle_scope = "staff"
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        tags=["admin"],
        summary="(staff) The loan portfolio per currency; `?format=csv` exports.",
        description="Loans and outstanding principal by status and by delinquency bucket, PAR30 and PAR90, "
        "interest and fees receivable, and what was disbursed and collected in the period (ledger days, "
        "both included; by default the current month to date). A bad or reversed period is a 400 "
        "`invalid_period`. The CSV has one row per currency × dimension × key "
        "(`currency,dimension,key,loans,amount,percent`); exporting it is audited.",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day of the period (YYYY-MM-DD)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day of the period (YYYY-MM-DD), included."),
            FORMAT_PARAMETER,
        ],
        responses={
            200: PortfolioOutput,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            400: OpenApiResponse(description="`invalid_period`: a date that is not YYYY-MM-DD, or from after to."),
        },
    )
    def get(self, request):
        start, end = period_from_query(request.query_params)
        output = portfolio_output(selectors.loan_portfolio(start=start, end=end))
        if request.query_params.get("format") == "csv":
            return portfolio_csv_response(output, request=request)
        return Response(PortfolioOutput(output).data)

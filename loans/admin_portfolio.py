"""The console's loan portfolio page: ``admin/loans/portfolio/``, the figures of
``GET admin/loans/portfolio`` as tables per currency, a period form, and the same CSV
(``?format=csv``, audited as an export).

The page belongs to no model, so it is not a ModelAdmin's: ``portfolio_urls(site)`` gives
its URL patterns, mounted at the site's root (see ``docs/loans.md``). The site's
``admin_view`` admits active staff who passed the second factor; the page then needs
the API's permissions, ``loans.view_loan`` and ``loans.view_repayment``.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from loans import selectors
from loans.api.admin_views import (
    PORTFOLIO_PERMISSIONS,
    InvalidPeriod,
    period_from_query,
    portfolio_csv_response,
    portfolio_output,
)

URL_NAME = "loans_portfolio"


def portfolio_view(admin_site, request):
    if not request.user.has_perms(PORTFOLIO_PERMISSIONS):
        raise DjangoPermissionDenied("The loan portfolio needs permission to view loans and repayments.")
    try:
        start, end = period_from_query(request.GET)
    except InvalidPeriod as exc:
        messages.error(request, f"{exc.detail} Showing the current month to date.")
        start, end = selectors.default_period()
    output = portfolio_output(selectors.loan_portfolio(start=start, end=end))
    if request.GET.get("format") == "csv":
        return portfolio_csv_response(output, request=request)
    context = {
        **admin_site.each_context(request),
        "title": "Loan portfolio",
        "report": output,
        "start": start,
        "end": end,
        "csv_query": f"format=csv&from={start.isoformat()}&to={end.isoformat()}",
    }
    return TemplateResponse(request, "admin/loans/portfolio.html", context)


def portfolio_urls(admin_site) -> list:
    """The page's URL patterns, relative to the console's root (``admin/``)."""

    def view(request):
        return portfolio_view(admin_site, request)

    return [path("loans/portfolio/", admin_site.admin_view(view), name=URL_NAME)]

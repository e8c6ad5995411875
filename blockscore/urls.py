from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.console import StaffAdminSite, StaffOtpAdminSite
from blockscore.api import ops
from loans.admin_portfolio import portfolio_urls

# The staff console: password (with the API's lockout) and, unless ENABLE_MFA is off,
# a verified TOTP device.
admin.site.__class__ = StaffOtpAdminSite if settings.ENABLE_MFA else StaffAdminSite

# Django tries the routes in order, so the money endpoints, the busiest, come first (no
# two apps' routes match the same path, so the order decides nothing else).
api_v1 = [
    path("", include("wallets.api.urls")),
    path("ping", ops.PingView.as_view(), name="ping"),
    path("health", ops.HealthView.as_view(), name="health"),
    path("health/detailed", ops.DetailedHealthView.as_view(), name="health-detailed"),
    path("readiness", ops.ReadinessView.as_view(), name="readiness"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include("accounts.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("wallets.api.pin_urls")),
    path("", include("wallets.api.payment_request_urls")),
    path("", include("credit.api.urls")),
    path("", include("compliance.api.urls")),
    path("", include("loans.api.urls")),
    path("", include("loans.api.admin_urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("metrics", ops.metrics_view, name="metrics"),
    path("admin/", include(portfolio_urls(admin.site))),  # before the admin's catch-all
    path("admin/", admin.site.urls),
]

handler400 = "blockscore.api.errors.handler400"
handler403 = "blockscore.api.errors.handler403"
handler404 = "blockscore.api.errors.handler404"
handler500 = "blockscore.api.errors.handler500"

from django.urls import path

from audit.api import views

urlpatterns = [
    path("admin/security-logs", views.SecurityLogsView.as_view(), name="admin-security-logs"),
    path("admin/audit-history", views.AuditHistoryView.as_view(), name="admin-audit-history"),
]

from django.urls import path

from wallets.api import payment_requests as views

urlpatterns = [
    path("payment-requests", views.PaymentRequestsView.as_view(), name="payment-requests"),
    path("payment-requests/<str:request_id>", views.PaymentRequestDetailView.as_view(), name="payment-request"),
    path("payment-requests/<str:request_id>/pay", views.PaymentRequestPayView.as_view(), name="payment-request-pay"),
    path("admin/qr-logs", views.AdminQrLogsView.as_view(), name="admin-qr-logs"),
]

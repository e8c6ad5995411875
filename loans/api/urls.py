from django.urls import path

from loans.api import views

urlpatterns = [
    path("loans/products", views.ProductsView.as_view(), name="loan-products"),
    path("loans/quote", views.QuoteView.as_view(), name="loan-quote"),
    path("loans/applications", views.ApplicationsView.as_view(), name="loan-applications"),
    path("loans/applications/<uuid:application_id>", views.ApplicationDetailView.as_view(), name="loan-application"),
    path(
        "loans/applications/<uuid:application_id>/submit",
        views.ApplicationSubmitView.as_view(),
        name="loan-application-submit",
    ),
    path(
        "loans/applications/<uuid:application_id>/cancel",
        views.ApplicationCancelView.as_view(),
        name="loan-application-cancel",
    ),
    path(
        "loans/applications/<uuid:application_id>/accept",
        views.ApplicationAcceptView.as_view(),
        name="loan-application-accept",
    ),
    path("loans", views.LoansView.as_view(), name="loans"),
    path("loans/<uuid:loan_id>", views.LoanDetailView.as_view(), name="loan"),
    path("loans/<uuid:loan_id>/schedule", views.LoanScheduleView.as_view(), name="loan-schedule"),
    path("loans/<uuid:loan_id>/repayments", views.LoanRepaymentsView.as_view(), name="loan-repayments"),
]

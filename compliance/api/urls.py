from django.urls import path

from compliance.api import views

urlpatterns = [
    path("kyc/status", views.KycStatusView.as_view(), name="kyc-status"),
    path("kyc/submissions", views.KycSubmissionsView.as_view(), name="kyc-submissions"),
    path("kyc/submissions/<uuid:submission_id>", views.KycSubmissionDetailView.as_view(), name="kyc-submission"),
    path(
        "kyc/submissions/<uuid:submission_id>/resubmit", views.KycResubmitView.as_view(), name="kyc-submission-resubmit"
    ),
]

from django.urls import path

from credit.api import views

urlpatterns = [
    path("credit/score", views.ScoreView.as_view(), name="credit-score"),
    path("credit/score/refresh", views.ScoreRefreshView.as_view(), name="credit-score-refresh"),
    path("credit/history", views.HistoryView.as_view(), name="credit-history"),
    path("credit/survey/questions", views.QuestionsView.as_view(), name="credit-survey-questions"),
    path("credit/survey/answers", views.AnswersView.as_view(), name="credit-survey-answers"),
    path("credit/alerts", views.AlertsView.as_view(), name="credit-alerts"),
    path("credit/alerts/<uuid:alert_id>/read", views.AlertReadView.as_view(), name="credit-alert-read"),
    path("credit/attestations", views.AttestationsView.as_view(), name="credit-attestations"),
    path("credit/attestations/<uuid:attestation_id>", views.AttestationView.as_view(), name="credit-attestation"),
]

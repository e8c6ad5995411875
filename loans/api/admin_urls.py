from django.urls import path

from loans.api import admin_views

urlpatterns = [
    path("admin/loans/portfolio", admin_views.PortfolioView.as_view(), name="admin-loans-portfolio"),
]

from django.urls import path

from loans.api import views

urlpatterns = [
    path("loans/products", views.ProductsView.as_view(), name="loan-products"),
    path("loans/quote", views.QuoteView.as_view(), name="loan-quote"),
]

from django.urls import path

from wallets.api import views

urlpatterns = [
    path("wallets", views.WalletsView.as_view(), name="wallets"),
    path("wallets/<uuid:wallet_id>", views.WalletDetailView.as_view(), name="wallet-detail"),
    path("wallets/<uuid:wallet_id>/transactions", views.WalletTransactionsView.as_view(), name="wallet-transactions"),
    path("wallets/<uuid:wallet_id>/statement", views.StatementView.as_view(), name="wallet-statement"),
    path("transactions", views.TransactionsView.as_view(), name="transactions"),
    path("transfers", views.TransfersView.as_view(), name="transfers"),
    path("admin/wallets", views.AdminWalletsView.as_view(), name="admin-wallets"),
    path("admin/transactions", views.AdminTransactionsView.as_view(), name="admin-transactions"),
]

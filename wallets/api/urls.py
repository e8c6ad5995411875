from django.urls import path

from wallets.api import fx, rails, views

urlpatterns = [
    path("transfers", views.TransfersView.as_view(), name="transfers"),  # the busiest first
    path("wallets", views.WalletsView.as_view(), name="wallets"),
    path("wallets/<uuid:wallet_id>", views.WalletDetailView.as_view(), name="wallet-detail"),
    path("wallets/<uuid:wallet_id>/transactions", views.WalletTransactionsView.as_view(), name="wallet-transactions"),
    path("wallets/<uuid:wallet_id>/statement", views.StatementView.as_view(), name="wallet-statement"),
    path("transactions", views.TransactionsView.as_view(), name="transactions"),
    path("deposits", rails.DepositsView.as_view(), name="deposits"),
    path("deposits/<uuid:deposit_id>", rails.DepositDetailView.as_view(), name="deposit-detail"),
    path("withdrawals", rails.WithdrawalsView.as_view(), name="withdrawals"),
    path("withdrawals/<uuid:withdrawal_id>", rails.WithdrawalDetailView.as_view(), name="withdrawal-detail"),
    path(
        "webhooks/lightning/<str:reference>/<str:token>",
        rails.LightningWebhookView.as_view(),
        name="lightning-webhook",
    ),
    path("fx/rates", fx.FxRatesView.as_view(), name="fx-rates"),
    path("fx/quotes", fx.FxQuotesView.as_view(), name="fx-quotes"),
    path("fx/exchanges", fx.FxExchangesView.as_view(), name="fx-exchanges"),
    path("admin/wallets", views.AdminWalletsView.as_view(), name="admin-wallets"),
    path("admin/transactions", views.AdminTransactionsView.as_view(), name="admin-transactions"),
]

from django.urls import path

from wallets.api import pin

urlpatterns = [
    path("wallets/pin", pin.PinView.as_view(), name="wallet-pin"),
    path("wallets/pin/verify", pin.PinVerifyView.as_view(), name="wallet-pin-verify"),
]

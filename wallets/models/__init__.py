"""The wallets app's models, one module per concern (see each module's docstring)."""

from wallets.models.adjustments import Adjustment
from wallets.models.fx import FxQuote, FxRate
from wallets.models.ledger import (
    CURRENCY_CHOICES,
    JournalEntry,
    LedgerAccount,
    Posting,
    is_valid_account_number,
    luhn_check_digit,
)
from wallets.models.payment_requests import PaymentRequest, QrLog
from wallets.models.pin import WithdrawalPin
from wallets.models.rails import Deposit, Rail, Withdrawal

__all__ = [
    "Adjustment",
    "CURRENCY_CHOICES",
    "Deposit",
    "FxQuote",
    "FxRate",
    "JournalEntry",
    "LedgerAccount",
    "PaymentRequest",
    "Posting",
    "QrLog",
    "Rail",
    "Withdrawal",
    "WithdrawalPin",
    "is_valid_account_number",
    "luhn_check_digit",
]

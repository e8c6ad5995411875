"""The wallets app's models, one module per concern (see each module's docstring)."""

from wallets.models.ledger import (
    CURRENCY_CHOICES,
    JournalEntry,
    LedgerAccount,
    Posting,
    is_valid_account_number,
    luhn_check_digit,
)
from wallets.models.pin import WithdrawalPin

__all__ = [
    "CURRENCY_CHOICES",
    "JournalEntry",
    "LedgerAccount",
    "Posting",
    "WithdrawalPin",
    "is_valid_account_number",
    "luhn_check_digit",
]

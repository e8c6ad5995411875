"""The wallets app's models, one module per concern (see each module's docstring)."""

from wallets.models.ledger import (
    CURRENCY_CHOICES,
    JournalEntry,
    LedgerAccount,
    Posting,
    is_valid_account_number,
    luhn_check_digit,
)

__all__ = [
    "CURRENCY_CHOICES",
    "JournalEntry",
    "LedgerAccount",
    "Posting",
    "is_valid_account_number",
    "luhn_check_digit",
]

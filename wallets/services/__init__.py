"""The ledger's public verbs. Other apps move money only through these."""

from wallets.services.accounts import system_account, wallet_create, wallet_open, wallet_set_status
from wallets.services.ledger import Line, accounts_lock, entry_post, entry_reverse
from wallets.services.transfers import transfer_create

__all__ = [
    "Line",
    "accounts_lock",
    "entry_post",
    "entry_reverse",
    "system_account",
    "transfer_create",
    "wallet_create",
    "wallet_open",
    "wallet_set_status",
]

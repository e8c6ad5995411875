"""The ledger's public verbs. Other apps move money only through these."""

from wallets.services.accounts import system_account, wallet_create, wallet_open, wallet_set_status
from wallets.services.ledger import Line, entry_post, entry_reverse

__all__ = ["Line", "entry_post", "entry_reverse", "system_account", "wallet_create", "wallet_open", "wallet_set_status"]

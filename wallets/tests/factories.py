from decimal import Decimal

from accounts.tests.factories import UserFactory
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import Line, entry_post, system_account, wallet_open


def funded_wallet(amount="100.00", currency="USD", owner=None) -> LedgerAccount:
    """A customer wallet holding ``amount``, funded by a bank deposit through the ledger."""
    wallet = wallet_open(owner=owner or UserFactory(), currency=currency)
    if Decimal(amount):
        deposit(wallet, amount)
        wallet.refresh_from_db()
    return wallet


def deposit(wallet: LedgerAccount, amount) -> JournalEntry:
    clearing = system_account(LedgerAccount.Kind.CLEARING, wallet.currency, rail="bank_transfer")
    value = Decimal(amount)
    return entry_post(
        kind=JournalEntry.Kind.DEPOSIT,
        lines=[Line(clearing, -value), Line(wallet, value)],
        memo="test deposit",
    )


def move(source: LedgerAccount, destination: LedgerAccount, amount, **kwargs) -> JournalEntry:
    value = Decimal(amount)
    return entry_post(kind=JournalEntry.Kind.TRANSFER, lines=[Line(source, -value), Line(destination, value)], **kwargs)

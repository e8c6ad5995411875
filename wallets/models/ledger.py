"""The double-entry ledger: accounts, journal entries and their postings.

Invariants (kept by wallets.services.ledger, and on PostgreSQL also by the database):

- Every movement of money is one ``JournalEntry`` whose ``Posting`` amounts sum to zero
  per currency. A posting's sign is the change to its account's balance: a deposit is
  +100 on the customer's wallet and -100 on the rail's clearing account. So the
  balances of all accounts in one currency always sum to zero ("the books net to zero").
- Posted entries and postings are never changed or deleted; a mistake is corrected by a
  reversing entry that points at the original (``reverses``, at most one per entry).
- ``LedgerAccount.balance`` is the sum of the account's postings, updated in the same
  transaction as they are written, under row locks taken in ascending id order.
  ``Posting.balance_after`` is the account's balance right after that posting.
- ``transfers_out_minor`` is what the wallet sent by transfer entries on the local day
  ``transfers_out_day`` (the sum of its negative TRANSFER postings that day), kept by
  ``entry_post`` in the same UPDATE as the balance: the daily transfer limit reads it.
- Customer wallets never go below zero (a CHECK constraint on every database);
  system accounts may, where that is their nature (a clearing account is negative by
  what the rail owes us).
- Amounts are stored as whole numbers of the currency's minor unit (cents, satoshis,
  fils) in BIGINT columns: exact on every database (SQLite would store NUMERIC as a
  64-bit float) and summed exactly in SQL. Code reads them as ``Decimal`` through the
  ``balance``/``held``/``amount`` properties; only the ledger services write them.

On PostgreSQL, migrations also install (SQL beside them): a deferred constraint trigger
that refuses an unbalanced entry at commit, and triggers that refuse UPDATE and DELETE
on postings and entries.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from blockscore import money
from blockscore.money import CURRENCIES

CURRENCY_CHOICES = [(code, f"{code} ({c.name})") for code, c in sorted(CURRENCIES.items())]


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_valid_account_number(number: str) -> bool:
    return number.isdigit() and len(number) == 12 and luhn_check_digit(number[:-1]) == number[-1]


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER_WALLET = "customer_wallet", "Customer wallet"
        CLEARING = "clearing", "Rail clearing"
        ESCROW = "escrow", "Escrow"
        LOAN_RECEIVABLE = "loan_receivable", "Loan receivable"
        INTEREST_RECEIVABLE = "interest_receivable", "Interest receivable"
        INTEREST_INCOME = "interest_income", "Interest income"
        FEE_RECEIVABLE = "fee_receivable", "Fee receivable"
        FEE_INCOME = "fee_income", "Fee income"
        FX_POSITION = "fx_position", "FX position"
        WRITE_OFF_EXPENSE = "write_off_expense", "Write-off expense"
        SUSPENSE = "suspense", "Suspense"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FROZEN = "frozen", "Frozen"
        CLOSED = "closed", "Closed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=12, unique=True, help_text="11 digits and a Luhn check digit.")
    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    rail = models.CharField(max_length=32, blank=True, help_text="For clearing accounts: the payment rail.")
    name = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    balance_minor = models.BigIntegerField(default=0, help_text="Balance in minor units.")
    held_minor = models.BigIntegerField(default=0, help_text="Reserved by pending withdrawals, in minor units.")
    # The daily transfer limit's running total, kept by the ledger with the balance (under
    # the same row lock) so that checking the limit is not a SUM over the day's postings.
    transfers_out_day = models.DateField(
        null=True, blank=True, editable=False, help_text="The local day transfers_out_minor counts."
    )
    transfers_out_minor = models.BigIntegerField(
        default=0, editable=False, help_text="Sent by transfers on transfers_out_day, in minor units."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        permissions = [("freeze_ledgeraccount", "Can freeze and unfreeze accounts")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="customer_wallet") | Q(balance_minor__gte=0),
                name="wallets_customer_balance_not_negative",
            ),
            models.CheckConstraint(condition=Q(held_minor__gte=0), name="wallets_held_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="customer_wallet", owner__isnull=False)
                | (~Q(kind="customer_wallet") & Q(owner__isnull=True)),
                name="wallets_only_customer_wallets_have_owners",
            ),
            models.UniqueConstraint(
                fields=["owner", "currency"],
                condition=Q(kind="customer_wallet"),
                name="wallets_one_wallet_per_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "rail"],
                condition=Q(owner__isnull=True),
                name="wallets_one_system_account_per_kind_currency_rail",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.currency} {self.get_kind_display()}"

    @property
    def is_customer_wallet(self) -> bool:
        return self.kind == self.Kind.CUSTOMER_WALLET

    @property
    def balance(self):
        return money.from_minor_units(self.balance_minor, self.currency)

    @property
    def held(self):
        return money.from_minor_units(self.held_minor, self.currency)

    @property
    def available(self):
        return money.from_minor_units(self.balance_minor - self.held_minor, self.currency)


class JournalEntry(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        TRANSFER = "transfer", "Transfer"
        FX_EXCHANGE = "fx_exchange", "FX exchange"
        PAYMENT = "payment", "Payment request paid"
        FEE = "fee", "Fee"
        ADJUSTMENT = "adjustment", "Manual adjustment"
        REVERSAL = "reversal", "Reversal"
        LOAN_DISBURSEMENT = "loan_disbursement", "Loan disbursement"
        LOAN_REPAYMENT = "loan_repayment", "Loan repayment"
        INTEREST_ACCRUAL = "interest_accrual", "Interest accrual"
        WRITE_OFF = "write_off", "Write-off"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    memo = models.CharField(max_length=280, blank=True)
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(
        max_length=255, null=True, blank=True, help_text="Namespaced by the caller; one entry per key."
    )
    # At most one reversal per entry: the partial unique index below (NULL, the usual case,
    # costs no index entry).
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals", db_index=False
    )
    metadata = models.JSONField(default=dict, blank=True)
    posted_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name_plural = "journal entries"
        # Every posting writes an entry: plain btrees only (no pattern-matching copies).
        indexes = [models.Index(fields=["kind"], name="wallets_entry_kind")]
        # Partial: most entries have no key (API requests are keyed by their idempotency
        # record) and no reversed entry, and a NULL entry in a unique index is pure cost.
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="wallets_entry_idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="wallets_entry_reversed_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


class Posting(models.Model):
    # No foreign key constraint: on PostgreSQL the commit-time trigger refuses a posting
    # whose entry does not exist (entries are never deleted), without the row lock a
    # foreign key takes on the entry for every posting (migration 0018).
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings", db_constraint=False)
    # Indexed by (account, posted_at, id) below, which serves every lookup by account.
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings", db_index=False)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField(help_text="The change to the account's balance, in minor units (signed).")
    balance_after_minor = models.BigIntegerField(help_text="The account's balance right after this posting.")
    posted_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "posted_at", "id"])]
        constraints = [models.CheckConstraint(condition=~Q(amount_minor=0), name="wallets_posting_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.account_id}"

    @property
    def amount(self):
        return money.from_minor_units(self.amount_minor, self.currency)

    @property
    def balance_after(self):
        return money.from_minor_units(self.balance_after_minor, self.currency)

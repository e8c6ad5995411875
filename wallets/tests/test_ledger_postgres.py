"""The database's own guards of the books, and the ledger under real concurrency (PostgreSQL)."""

import random
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from blockscore.testing import run_in_parallel
from wallets import exceptions
from wallets.models import JournalEntry, LedgerAccount, Posting
from wallets.selectors import ledger_problems
from wallets.services import wallet_open
from wallets.tests.factories import deposit, funded_wallet, move

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL guards and row locks")
D = Decimal


@postgres_only
@pytest.mark.django_db
class TestDatabaseGuards:
    def test_an_unbalanced_entry_is_refused_at_commit(self):
        wallet = funded_wallet("10.00")

        with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
            entry = JournalEntry.objects.create(kind="adjustment", posted_at=timezone.now())
            Posting.objects.create(
                entry=entry,
                account=wallet,
                currency="USD",
                amount_minor=500,
                balance_after_minor=1500,
                posted_at=entry.posted_at,
            )
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def test_a_posting_of_an_entry_that_does_not_exist_is_refused_at_commit(self):
        wallet = funded_wallet("10.00")
        missing = (JournalEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000

        with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO wallets_posting (entry_id, account_id, currency, amount_minor, balance_after_minor,"
                    " posted_at) VALUES (%s, %s, 'USD', 100, 1100, now()), (%s, %s, 'USD', -100, 1000, now())",
                    [missing, wallet.pk, missing, wallet.pk],
                )
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def test_postings_and_entries_cannot_be_updated_or_deleted(self):
        funded_wallet("10.00")
        posting = Posting.objects.first()

        for statement in (
            f"UPDATE wallets_posting SET amount_minor = 99 WHERE id = {posting.pk}",
            f"DELETE FROM wallets_posting WHERE id = {posting.pk}",
            f"UPDATE wallets_journalentry SET memo = 'x' WHERE id = {posting.entry_id}",
            f"DELETE FROM wallets_journalentry WHERE id = {posting.entry_id}",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement)

    def test_a_posting_in_another_currency_than_its_account_is_refused(self):
        wallet = funded_wallet("10.00")
        entry = JournalEntry.objects.first()

        with pytest.raises(IntegrityError, match="currency"), transaction.atomic():
            Posting.objects.create(
                entry=entry,
                account=wallet,
                currency="EUR",
                amount_minor=100,
                balance_after_minor=100,
                posted_at=entry.posted_at,
            )

    def test_a_customer_balance_below_zero_is_refused(self):
        wallet = funded_wallet("10.00")

        with pytest.raises(IntegrityError, match="wallets_customer_balance_not_negative"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE wallets_ledgeraccount SET balance_minor = -1 WHERE id = %s", [wallet.pk])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_debits_end_at_the_exact_balance():
    source = funded_wallet("100.00")
    sinks = [funded_wallet("0") for _ in range(5)]

    def debit(index):
        try:
            return move(source, sinks[index % 5], "3.00")
        except exceptions.InsufficientFunds as exc:
            return exc

    results = run_in_parallel(50, debit)

    posted = [r for r in results if isinstance(r, JournalEntry)]
    refused = [r for r in results if isinstance(r, exceptions.InsufficientFunds)]
    assert len(posted) == 33 and len(refused) == 17, results
    source.refresh_from_db()
    assert source.balance == D("1.00")
    assert ledger_problems() == []


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_opposing_transfers_never_deadlock():
    a, b = funded_wallet("1000.00"), funded_wallet("1000.00")

    def ping_pong(index):
        for _ in range(20):
            if index % 2:
                move(a, b, "1.00")
            else:
                move(b, a, "1.00")
        return "ok"

    results = run_in_parallel(8, ping_pong)

    assert results == ["ok"] * 8, results
    assert sorted(a.balance for a in LedgerAccount.objects.filter(pk__in=[a.pk, b.pk])) == [D("1000.00")] * 2
    call_command("verify_ledger")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_bank_random_transfers_keep_the_total_and_every_acknowledged_transfer_exists_once():
    """Jepsen's bank test: 16 writers move money at random among 20 wallets while readers
    read every balance in one snapshot; the total never changes and nothing goes negative."""
    seed = random.randrange(1 << 30)
    wallets = [funded_wallet("100.00") for _ in range(20)]
    ids = [w.pk for w in wallets]
    total = D("2000.00")
    total_minor = 200_000
    stop = threading.Event()
    snapshots: list[tuple[Decimal, Decimal]] = []

    def writer(index):
        rng = random.Random(seed + index)
        acknowledged = []
        for n in range(40):
            source, destination = rng.sample(wallets, 2)
            amount = D(rng.randint(1, 3000)) / 100
            key = f"bank:{seed}:{index}:{n}"
            try:
                entry = move(source, destination, amount, idempotency_key=key)
            except exceptions.InsufficientFunds:
                continue
            acknowledged.append(entry.idempotency_key)
        return acknowledged

    def reader():
        try:
            while not stop.is_set():
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                        cursor.execute(
                            "SELECT COALESCE(SUM(balance_minor), 0), COALESCE(MIN(balance_minor), 0) "
                            "FROM wallets_ledgeraccount WHERE id = ANY(%s)",
                            [ids],
                        )
                        snapshots.append(cursor.fetchone())
        finally:
            connection.close()

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        results = run_in_parallel(16, writer)
    finally:
        stop.set()
        for thread in readers:
            thread.join()

    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, f"seed {seed}: {errors[:3]}"
    acknowledged = [key for keys in results for key in keys]
    assert snapshots, "the readers took no snapshot"
    assert all(sum_ == total_minor and min_ >= 0 for sum_, min_ in snapshots), f"seed {seed}"
    assert JournalEntry.objects.filter(idempotency_key__in=acknowledged).count() == len(acknowledged), f"seed {seed}"
    assert JournalEntry.objects.filter(idempotency_key__startswith=f"bank:{seed}:").count() == len(acknowledged)
    assert sum(account.balance for account in LedgerAccount.objects.filter(pk__in=ids)) == total
    assert ledger_problems() == [], f"seed {seed}"


@pytest.mark.django_db(transaction=True)
def test_concurrent_wallet_opening_creates_one_wallet():
    user = UserFactory()

    results = run_in_parallel(8, lambda _: wallet_open(owner=user, currency="KES").pk)

    assert len(set(results)) == 1, results
    assert LedgerAccount.objects.filter(owner=user, currency="KES").count() == 1
    deposit(LedgerAccount.objects.get(owner=user, currency="KES"), "1.00")

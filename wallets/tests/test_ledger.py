from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from wallets import checks, exceptions
from wallets.models import JournalEntry, LedgerAccount, Posting, is_valid_account_number
from wallets.selectors import ledger_problems
from wallets.services import Line, entry_post, entry_reverse, system_account, wallet_open, wallet_set_status
from wallets.tests.factories import deposit, funded_wallet, move

pytestmark = pytest.mark.django_db
D = Decimal


def balances(*accounts):
    return [LedgerAccount.objects.get(pk=a.pk).balance for a in accounts]


def test_a_deposit_is_one_balanced_entry_with_running_balances():
    wallet = wallet_open(owner=UserFactory(), currency="USD")

    entry = deposit(wallet, "100.00")
    deposit(wallet, "25.50")

    clearing = system_account(LedgerAccount.Kind.CLEARING, "USD", rail="bank_transfer")
    assert balances(wallet, clearing) == [D("125.50"), D("-125.50")]
    assert [p.amount for p in entry.postings.order_by("amount_minor")] == [D("-100.00"), D("100.00")]
    assert Posting.objects.filter(account=wallet).order_by("id").last().balance_after == D("125.50")
    assert AuditEvent.objects.filter(action="ledger.entry_posted", target_id=str(entry.public_id)).exists()
    assert ledger_problems() == []


def test_wallets_are_one_per_currency_with_valid_account_numbers():
    user = UserFactory()

    usd, usd_again, jpy = (
        wallet_open(owner=user, currency="USD"),
        wallet_open(owner=user, currency="USD"),
        wallet_open(owner=user, currency="JPY"),
    )

    assert usd.pk == usd_again.pk and usd.pk != jpy.pk
    assert is_valid_account_number(usd.number) and usd.number.startswith("1")
    assert is_valid_account_number(system_account("fee_income", "USD").number)
    assert not is_valid_account_number(usd.number[:-1] + str((int(usd.number[-1]) + 1) % 10))


@pytest.mark.parametrize(
    "amounts",
    [[D("10.00"), D("-9.99")], [D("10.00")], [D("0.00"), D("0.00")], [D("10.001"), D("-10.001")]],
)
def test_invalid_entries_are_refused_and_nothing_is_written(amounts):
    wallet = funded_wallet("50.00")
    clearing = system_account(LedgerAccount.Kind.CLEARING, "USD", rail="bank_transfer")
    accounts = [wallet, clearing]
    entries_before = JournalEntry.objects.count()

    with pytest.raises(exceptions.UnbalancedEntry):
        entry_post(kind="adjustment", lines=[Line(accounts[i], a) for i, a in enumerate(amounts)])

    assert JournalEntry.objects.count() == entries_before
    assert balances(wallet) == [D("50.00")]


def test_float_amounts_are_refused():
    wallet = funded_wallet("50.00")
    clearing = system_account(LedgerAccount.Kind.CLEARING, "USD", rail="bank_transfer")

    with pytest.raises(TypeError):
        entry_post(kind="adjustment", lines=[Line(wallet, 1.5), Line(clearing, -1.5)])


def test_a_customer_wallet_cannot_go_below_zero():
    source, destination = funded_wallet("30.00"), funded_wallet("0")

    with pytest.raises(exceptions.InsufficientFunds):
        move(source, destination, "30.01")

    assert balances(source, destination) == [D("30.00"), D("0")]
    move(source, destination, "30.00")
    assert balances(source, destination) == [D("0.00"), D("30.00")]


def test_held_funds_are_not_available():
    source, destination = funded_wallet("30.00"), funded_wallet("0")
    LedgerAccount.objects.filter(pk=source.pk).update(held_minor=2000)

    with pytest.raises(exceptions.InsufficientFunds):
        move(source, destination, "10.01")

    move(source, destination, "10.00")
    assert balances(source) == [D("20.00")]


@pytest.mark.parametrize("frozen_side", ["source", "destination"])
def test_frozen_accounts_neither_send_nor_receive(frozen_side):
    source, destination = funded_wallet("30.00"), funded_wallet("0")
    admin = UserFactory(roles=["operations"], is_staff=True)
    wallet_set_status(account=locals()[frozen_side], status="frozen", actor=admin, reason="AML case")

    with pytest.raises(exceptions.AccountNotActive):
        move(source, destination, "1.00")

    assert balances(source, destination) == [D("30.00"), D("0")]
    assert AuditEvent.objects.filter(action="wallet.status_changed", actor=admin).exists()


def test_an_idempotency_key_posts_once_and_refuses_a_different_entry():
    source, destination = funded_wallet("30.00"), funded_wallet("0")

    first = move(source, destination, "10.00", idempotency_key="t:1")
    again = move(source, destination, "10.00", idempotency_key="t:1")

    assert first.pk == again.pk
    assert balances(source, destination) == [D("20.00"), D("10.00")]
    with pytest.raises(exceptions.IdempotencyMismatch):
        move(source, destination, "11.00", idempotency_key="t:1")


def test_an_entry_across_currencies_balances_per_currency():
    user = UserFactory()
    usd, eur = funded_wallet("100.00", "USD", owner=user), wallet_open(owner=user, currency="EUR")
    fx_usd, fx_eur = system_account("fx_position", "USD"), system_account("fx_position", "EUR")

    entry_post(
        kind="fx_exchange",
        lines=[Line(usd, D("-10.00")), Line(fx_usd, D("10.00")), Line(fx_eur, D("-9.12")), Line(eur, D("9.12"))],
    )

    assert balances(usd, eur) == [D("90.00"), D("9.12")]
    assert ledger_problems() == []
    with pytest.raises(exceptions.UnbalancedEntry):
        entry_post(kind="fx_exchange", lines=[Line(usd, D("-10.00")), Line(eur, D("10.00"))])


def test_reversal_mirrors_the_entry_once():
    source, destination = funded_wallet("30.00"), funded_wallet("0")
    staff = UserFactory(roles=["operations"], is_staff=True)
    entry = move(source, destination, "10.00")

    reversal = entry_reverse(entry=entry, initiator=staff, memo="sent in error")

    assert reversal.reverses == entry and reversal.kind == "reversal"
    assert balances(source, destination) == [D("30.00"), D("0.00")]
    with pytest.raises(exceptions.EntryAlreadyReversed):
        entry_reverse(entry=entry, initiator=staff)
    with pytest.raises(exceptions.CannotReverseReversal):
        entry_reverse(entry=reversal, initiator=staff)


def test_a_reversal_cannot_take_money_already_spent():
    source, destination, third = funded_wallet("30.00"), funded_wallet("0"), funded_wallet("0")
    entry = move(source, destination, "10.00")
    move(destination, third, "10.00")

    with pytest.raises(exceptions.InsufficientFunds):
        entry_reverse(entry=entry, initiator=None)

    assert not JournalEntry.objects.filter(reverses=entry).exists()


def test_pre_transfer_checks_are_called_and_can_refuse():
    seen = []

    def refuse_big(intent):
        seen.append(intent)
        if intent.amount > 100:
            raise exceptions.TransferRefused("Over the limit.", code="limit_exceeded")

    checks.register_pre_transfer_check("test.refuse_big", refuse_big)
    try:
        intent = checks.MovementIntent(
            kind="transfer", initiator=None, source=None, destination=None, amount=D("100.01"), currency="USD"
        )
        with pytest.raises(exceptions.TransferRefused) as refused:
            checks.run_pre_transfer_checks(intent)
        assert refused.value.code == "limit_exceeded" and seen == [intent]
    finally:
        checks._checks.pop("test.refuse_big")


def test_verify_ledger_is_clean_then_names_a_drifted_balance():
    wallet = funded_wallet("30.00")
    call_command("verify_ledger")

    LedgerAccount.objects.filter(pk=wallet.pk).update(balance_minor=3100)

    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert any(wallet.number in problem for problem in ledger_problems())


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the unbalanced row itself")
def test_verify_ledger_names_an_unbalanced_entry():
    wallet = funded_wallet("30.00")
    entry = JournalEntry.objects.first()
    Posting.objects.create(
        entry=entry,
        account=wallet,
        currency="USD",
        amount_minor=100,
        balance_after_minor=3100,
        posted_at=entry.posted_at,
    )
    LedgerAccount.objects.filter(pk=wallet.pk).update(balance_minor=3100)

    problems = ledger_problems()

    assert any(str(entry.public_id) in p and "sum to 1.00" in p for p in problems)
    assert any("net to" in p for p in problems)


def test_the_database_refuses_a_negative_customer_balance():
    from django.db import IntegrityError, transaction

    wallet = funded_wallet("5.00")

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=wallet.pk).update(balance_minor=-1)

"""A stateful property test: the ledger against a plain dictionary of balances."""

from decimal import Decimal

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from accounts.tests.factories import UserFactory
from wallets import exceptions
from wallets.models import JournalEntry, LedgerAccount
from wallets.selectors import ledger_problems
from wallets.services import entry_reverse, wallet_open
from wallets.tests.factories import deposit, move

amounts = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) / 100)


class LedgerMachine(RuleBasedStateMachine):
    entries = Bundle("entries")

    @initialize()
    def open_wallets(self):
        self.wallets = [wallet_open(owner=UserFactory(), currency="USD") for _ in range(3)]
        self.model = {w.pk: Decimal("0.00") for w in self.wallets}
        self.reversed: set[int] = set()

    @rule(target=entries, index=st.integers(0, 2), amount=amounts)
    def deposit(self, index, amount):
        entry = deposit(self.wallets[index], amount)
        self.model[self.wallets[index].pk] += amount
        return entry

    @rule(target=entries, source=st.integers(0, 2), destination=st.integers(0, 2), amount=amounts)
    def transfer(self, source, destination, amount):
        if source == destination:
            return None
        a, b = self.wallets[source], self.wallets[destination]
        try:
            entry = move(a, b, amount)
        except exceptions.InsufficientFunds:
            assert self.model[a.pk] < amount
            return None
        assert self.model[a.pk] >= amount
        self.model[a.pk] -= amount
        self.model[b.pk] += amount
        return entry

    @rule(entry=entries)
    def reverse(self, entry):
        if entry is None:
            return
        deltas = {p.account_id: -p.amount for p in entry.postings.all() if p.account_id in self.model}
        try:
            entry_reverse(entry=entry, initiator=None)
        except exceptions.EntryAlreadyReversed:
            assert entry.pk in self.reversed
            return
        except exceptions.InsufficientFunds:
            assert any(self.model[pk] + delta < 0 for pk, delta in deltas.items())
            return
        assert entry.pk not in self.reversed
        self.reversed.add(entry.pk)
        for pk, delta in deltas.items():
            self.model[pk] += delta

    @invariant()
    def balances_match_the_model(self):
        stored = {account.pk: account.balance for account in LedgerAccount.objects.filter(pk__in=self.model)}
        assert stored == self.model

    @invariant()
    def books_hold(self):
        assert ledger_problems() == []
        assert JournalEntry.objects.filter(kind="reversal").count() >= len(self.reversed)


@pytest.mark.django_db
def test_ledger_matches_a_simple_model():
    run_state_machine_as_test(
        LedgerMachine,
        settings=hypothesis_settings(max_examples=20, stateful_step_count=15, deadline=None, database=None),
    )

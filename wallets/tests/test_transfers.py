from decimal import Decimal

import pytest
from django.test import override_settings

from accounts.tests.factories import UserFactory
from blockscore.testing import run_in_parallel
from wallets import checks, exceptions
from wallets.models import JournalEntry, LedgerAccount
from wallets.services import transfer_create, wallet_set_status
from wallets.tests.factories import funded_wallet

D = Decimal


def balance(wallet):
    return LedgerAccount.objects.get(pk=wallet.pk).balance


@pytest.mark.django_db
class TestTransfers:
    def test_by_email_moves_money_and_opens_the_recipients_wallet(self):
        source = funded_wallet("100.00")
        recipient = UserFactory()

        entry = transfer_create(
            sender=source.owner, currency="USD", amount=D("40.00"), to_email=recipient.email.upper(), memo="dinner"
        )

        wallet = LedgerAccount.objects.get(owner=recipient, currency="USD")
        assert (balance(source), balance(wallet)) == (D("60.00"), D("40.00"))
        assert entry.kind == "transfer" and entry.memo == "dinner" and entry.initiator == source.owner
        assert entry.metadata == {"from": str(source.owner.public_id), "to": str(recipient.public_id)}

    def test_by_account_number(self):
        source, destination = funded_wallet("100.00"), funded_wallet("0")

        transfer_create(sender=source.owner, currency="USD", amount=D("1.00"), to_account=destination.number)

        assert balance(destination) == D("1.00")

    @pytest.mark.parametrize(
        "kwargs, error",
        [
            ({"to_email": "nobody@example.com"}, exceptions.RecipientNotFound),
            ({"to_account": "100000000000"}, exceptions.RecipientNotFound),
            ({"amount": D("100.01")}, exceptions.InsufficientFunds),
        ],
    )
    def test_refusals_post_nothing(self, kwargs, error):
        source, destination = funded_wallet("100.00"), funded_wallet("0")
        arguments = {"sender": source.owner, "currency": "USD", "amount": D("5.00"), "to_account": destination.number}
        arguments.update(kwargs)
        if "to_email" in kwargs:
            arguments.pop("to_account")

        with pytest.raises(error):
            transfer_create(**arguments)

        assert JournalEntry.objects.filter(kind="transfer").count() == 0
        assert balance(source) == D("100.00")

    def test_to_self_is_refused(self):
        source = funded_wallet("100.00")

        with pytest.raises(exceptions.TransferToSelf):
            transfer_create(sender=source.owner, currency="USD", amount=D("1.00"), to_email=source.owner.email)

    def test_currency_of_the_account_must_match(self):
        source, euro = funded_wallet("100.00"), funded_wallet("0", "EUR")

        with pytest.raises(exceptions.CurrencyMismatch):
            transfer_create(sender=source.owner, currency="USD", amount=D("1.00"), to_account=euro.number)

    def test_a_failed_transfer_leaves_no_wallet_behind(self):
        source = funded_wallet("1.00")
        recipient = UserFactory()

        with pytest.raises(exceptions.InsufficientFunds):
            transfer_create(sender=source.owner, currency="USD", amount=D("2.00"), to_email=recipient.email)

        assert not LedgerAccount.objects.filter(owner=recipient).exists()

    def test_sender_without_a_wallet_in_the_currency(self):
        sender, recipient = UserFactory(), funded_wallet("0")

        with pytest.raises(exceptions.WalletNotFound):
            transfer_create(sender=sender, currency="USD", amount=D("1.00"), to_account=recipient.number)

    def test_frozen_recipient_is_refused(self):
        source, destination = funded_wallet("10.00"), funded_wallet("0")
        wallet_set_status(account=destination, status="frozen", actor=None, reason="test")

        with pytest.raises(exceptions.AccountNotActive):
            transfer_create(sender=source.owner, currency="USD", amount=D("1.00"), to_account=destination.number)

    @override_settings(TRANSFER_LIMITS={"USD": ("50", "80")})
    def test_per_transfer_and_daily_limits(self):
        source, destination = funded_wallet("500.00"), funded_wallet("0")

        def send(amount):
            return transfer_create(sender=source.owner, currency="USD", amount=D(amount), to_account=destination.number)

        with pytest.raises(exceptions.LimitExceeded):
            send("50.01")
        send("50.00")
        send("30.00")
        with pytest.raises(exceptions.LimitExceeded):
            send("0.01")
        assert balance(destination) == D("80.00")

    @override_settings(TRANSFER_LIMITS={"EUR": ("50", "80")})
    def test_a_currency_without_limits_is_not_transferable(self):
        source, destination = funded_wallet("10.00"), funded_wallet("0")

        with pytest.raises(exceptions.TransferRefused) as refused:
            transfer_create(sender=source.owner, currency="USD", amount=D("1.00"), to_account=destination.number)

        assert refused.value.code == "currency_not_transferable"

    def test_a_registered_check_can_refuse(self):
        source, destination = funded_wallet("10.00"), funded_wallet("0")

        def no_transfers(intent):
            raise exceptions.TransferRefused("Blocked for review.", code="customer_blocked")

        checks.register_pre_transfer_check("test.block", no_transfers)
        try:
            with pytest.raises(exceptions.TransferRefused):
                transfer_create(sender=source.owner, currency="USD", amount=D("1.00"), to_account=destination.number)
        finally:
            checks._checks.pop("test.block")
        assert balance(destination) == D("0")

    def test_the_same_idempotency_key_posts_once_and_skips_the_daily_count(self):
        source, destination = funded_wallet("100.00"), funded_wallet("0")

        first = transfer_create(
            sender=source.owner, currency="USD", amount=D("10.00"), to_account=destination.number, idempotency_key="k1"
        )
        again = transfer_create(
            sender=source.owner, currency="USD", amount=D("10.00"), to_account=destination.number, idempotency_key="k1"
        )

        assert first.pk == again.pk and balance(destination) == D("10.00")


@pytest.mark.django_db(transaction=True)
@override_settings(TRANSFER_LIMITS={"USD": ("10", "50")})
def test_parallel_transfers_cannot_pass_the_daily_limit_together():
    source, destination = funded_wallet("500.00"), funded_wallet("0")

    def send(_):
        try:
            return transfer_create(
                sender=source.owner, currency="USD", amount=D("10.00"), to_account=destination.number
            )
        except exceptions.LimitExceeded as exc:
            return exc

    results = run_in_parallel(10, send)

    assert sum(isinstance(r, JournalEntry) for r in results) == 5, results
    assert balance(destination) == D("50.00")

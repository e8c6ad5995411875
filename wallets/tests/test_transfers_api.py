import uuid
from decimal import Decimal

import pytest
from django.test import Client

from blockscore.testing import run_in_parallel
from conftest import client_for
from wallets.models import JournalEntry, LedgerAccount
from wallets.tests.factories import funded_wallet

URL = "/api/v1/transfers"


def send(client, body, key=None):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def balance(wallet):
    return LedgerAccount.objects.get(pk=wallet.pk).balance


@pytest.mark.django_db
class TestTransferEndpoint:
    def test_a_transfer_by_email(self, user, other_user):
        source = funded_wallet("100.00", owner=user)

        response = send(
            client_for(user), {"currency": "USD", "amount": "12.50", "to_email": other_user.email, "memo": "hi"}
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["amount"], body["balance_after"], body["from_account"], body["memo"]) == (
            "12.50",
            "87.50",
            source.number,
            "hi",
        )
        assert balance(LedgerAccount.objects.get(owner=other_user)) == Decimal("12.50")

    def test_the_answer_is_what_the_documented_serializer_gives(self, user, other_user):
        from wallets import selectors
        from wallets.api.serializers import TransferOutput

        funded_wallet("100.00", owner=user)
        response = send(
            client_for(user), {"currency": "USD", "amount": "3.25", "to_email": other_user.email, "memo": "lunch"}
        )

        assert response.status_code == 201, response.content
        entry = JournalEntry.objects.get(public_id=response.json()["id"])
        assert response.json() == TransferOutput(selectors.transfer_summary(entry)).data

    def test_the_idempotency_key_is_required(self, user, other_user):
        funded_wallet("100.00", owner=user)

        response = client_for(user).post(
            URL, {"currency": "USD", "amount": "1.00", "to_email": other_user.email}, format="json"
        )

        assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"
        assert not JournalEntry.objects.filter(kind="transfer").exists()

    def test_a_replay_returns_the_same_answer_and_posts_once(self, user, other_user):
        funded_wallet("100.00", owner=user)
        client = client_for(user)
        body = {"currency": "USD", "amount": "10.00", "to_email": other_user.email}

        first = send(client, body, key="pay-rent-nov")
        again = send(client, body, key="pay-rent-nov")
        other = send(client, {**body, "amount": "11.00"}, key="pay-rent-nov")

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
        assert JournalEntry.objects.filter(kind="transfer").count() == 1

    @pytest.mark.parametrize(
        "amount, code",
        [
            ("-1.00", "validation_error"),
            ("0", "validation_error"),
            ("NaN", "validation_error"),
            ("1e3", "validation_error"),
            ("1.001", "validation_error"),
            ("99999999999999999999", "validation_error"),
            (1.5, "validation_error"),
            ("100.01", "insufficient_funds"),
        ],
    )
    def test_bad_amounts_are_refused_and_nothing_is_posted(self, user, other_user, amount, code):
        funded_wallet("100.00", owner=user)

        response = send(client_for(user), {"currency": "USD", "amount": amount, "to_email": other_user.email})

        assert response.status_code in (400, 422) and response.json()["code"] == code
        assert response["Content-Type"] == "application/problem+json"
        assert not JournalEntry.objects.filter(kind="transfer").exists()

    @pytest.mark.parametrize(
        "body, code",
        [
            ({"currency": "XYZ", "amount": "1"}, "validation_error"),
            ({"currency": "USD", "amount": "1"}, "validation_error"),
            ({"currency": "USD", "amount": "1", "to_email": "nobody@example.com"}, "recipient_not_found"),
            ({"currency": "USD", "amount": "1", "to_account": "123"}, "validation_error"),
        ],
    )
    def test_bad_recipients(self, user, body, code):
        funded_wallet("100.00", owner=user)

        response = send(client_for(user), body)

        assert response.json()["code"] == code

    def test_a_refusal_leaves_nothing_written_but_its_answer(self, user, other_user):
        """The transfer view runs without the idempotency savepoint: a refusal must still
        leave nothing behind (here the recipient's wallet, opened before the funds are
        checked), while the refusal itself is the key's stored answer."""
        funded_wallet("1.00", owner=user, currency="EUR")
        client = client_for(user)
        body = {"currency": "EUR", "amount": "5.00", "to_email": other_user.email}

        first = send(client, body, key="too-much-eur")
        again = send(client, body, key="too-much-eur")

        assert first.status_code == 422 and first.json()["code"] == "insufficient_funds"
        assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
        assert not LedgerAccount.objects.filter(owner=other_user, currency="EUR").exists()
        assert not JournalEntry.objects.filter(kind="transfer").exists()

    def test_to_self_is_refused(self, user):
        wallet = funded_wallet("100.00", owner=user)

        response = send(client_for(user), {"currency": "USD", "amount": "1", "to_account": wallet.number})

        assert response.status_code == 400 and response.json()["code"] == "transfer_to_self"

    def test_needs_authentication(self, api_client):
        assert send(api_client, {"currency": "USD", "amount": "1", "to_account": "100000000009"}).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_with_one_key_post_once(user, other_user, settings):
    settings.ENABLE_RATE_LIMITING = False
    funded_wallet("100.00", owner=user)
    token = client_for(user).tokens["access"]
    body = {"currency": "USD", "amount": "5.00", "to_email": other_user.email}

    def request(_):
        return Client().post(
            URL,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY="one-key",
        )

    responses = run_in_parallel(20, request)

    statuses = [getattr(r, "status_code", r) for r in responses]
    assert all(code in (201, 409) for code in statuses), statuses
    bodies = {r.content for r in responses if r.status_code == 201}
    assert len(bodies) == 1
    assert JournalEntry.objects.filter(kind="transfer").count() == 1
    assert LedgerAccount.objects.get(owner=other_user).balance == Decimal("5.00")

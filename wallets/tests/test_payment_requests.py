import base64
import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import client_for
from wallets.models import JournalEntry, LedgerAccount, PaymentRequest, QrLog
from wallets.selectors import ledger_problems
from wallets.tests.factories import funded_wallet

URL = "/api/v1/payment-requests"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def create(client, **body):
    return client.post(URL, {"currency": "USD", **body}, format="json")


def pay(client, request_id, body=None, key=None):
    return client.post(
        f"{URL}/{request_id}/pay", body or {}, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4())
    )


def balance(wallet):
    return LedgerAccount.objects.get(pk=wallet.pk).balance


@pytest.mark.django_db
class TestCreate:
    def test_a_request_with_an_amount_has_a_uri_and_qr_codes(self, user):
        response = create(client_for(user), amount="12.50", memo="lunch")

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["uri"] == f"blockscore:pay/{body['id']}?amount=12.50&currency=USD"
        assert (body["amount"], body["memo"], body["status"]) == ("12.50", "lunch", "open")
        assert body["qr_svg"].startswith("<svg")
        prefix = "data:image/png;base64,"
        assert body["qr_png"].startswith(prefix)
        assert base64.b64decode(body["qr_png"][len(prefix) :]).startswith(PNG_SIGNATURE)
        assert QrLog.objects.get().action == "created"
        assert LedgerAccount.objects.filter(owner=user, currency="USD").exists()

    def test_a_request_without_an_amount_leaves_it_to_the_payer(self, user):
        response = create(client_for(user), expires_in=3600)

        body = response.json()
        assert response.status_code == 201 and body["amount"] is None
        assert body["uri"] == f"blockscore:pay/{body['id']}?currency=USD"
        request = PaymentRequest.objects.get()
        assert timedelta(minutes=59) < request.expires_at - timezone.now() <= timedelta(hours=1)

    @pytest.mark.parametrize(
        "body",
        [
            {"amount": "-1.00"},
            {"amount": "0"},
            {"amount": "NaN"},
            {"amount": "1.001"},
            {"amount": 1.5},
            {"amount": "99999999999999999999"},
            {"currency": "XYZ"},
            {"expires_in": 31 * 86400},
            {"expires_in": 0},
            {"surprise": 1},
        ],
    )
    def test_bad_input_is_refused(self, user, body):
        response = create(client_for(user), **body)

        assert response.status_code == 400 and response.json()["code"] == "validation_error"
        assert not PaymentRequest.objects.exists()

    def test_unauthenticated_is_refused(self, db):
        assert create(APIClient(), amount="1.00").status_code == 401


@pytest.mark.django_db
class TestView:
    def test_another_customer_sees_the_request_without_private_data_and_the_view_is_logged(self, user, other_user):
        user.first_name, user.last_name = "Ada", "Lovelace"
        user.save()
        request_id = create(client_for(user), amount="5.00").json()["id"]

        response = client_for(other_user).get(f"{URL}/{request_id}")

        body = response.json()
        assert response.status_code == 200
        assert body["requester_name"] == "Ada Lovelace"
        assert body["requester_email"] != user.email and body["requester_email"].endswith(user.email.split("@")[1])
        assert user.email not in response.content.decode()
        assert body["qr_svg"].startswith("<svg")
        assert QrLog.objects.get(action="viewed", user=other_user).ip == "127.0.0.1"

    @pytest.mark.parametrize("request_id", [str(uuid.uuid4()), "not-a-uuid", "123"])
    def test_unknown_or_malformed_ids_are_404(self, user, request_id):
        response = client_for(user).get(f"{URL}/{request_id}")

        assert response.status_code == 404 and response.json()["code"] == "payment_request_not_found"

    def test_a_paid_request_is_hidden_from_third_parties(self, user, other_user):
        from accounts.tests.factories import UserFactory

        funded_wallet("10.00", owner=other_user)
        request_id = create(client_for(user), amount="5.00").json()["id"]
        assert pay(client_for(other_user), request_id).status_code == 201

        assert client_for(UserFactory()).get(f"{URL}/{request_id}").status_code == 404
        assert client_for(user).get(f"{URL}/{request_id}").json()["status"] == "paid"

    def test_unauthenticated_is_refused(self, user):
        request_id = create(client_for(user)).json()["id"]

        assert APIClient().get(f"{URL}/{request_id}").status_code == 401


@pytest.mark.django_db
class TestPay:
    def test_paying_moves_the_money_once(self, user, other_user):
        requester_wallet = funded_wallet("0", owner=user)
        payer_wallet = funded_wallet("100.00", owner=other_user)
        request_id = create(client_for(user), amount="12.50", memo="lunch").json()["id"]
        payer = client_for(other_user)

        first = pay(payer, request_id, key="pay-lunch")
        replay = pay(payer, request_id, key="pay-lunch")
        second = pay(payer, request_id)

        assert first.status_code == 201, first.content
        assert first.json()["status"] == "paid" and first.json()["paid_amount"] == "12.50"
        assert replay.status_code == 201 and replay.json() == first.json()
        assert replay["Idempotent-Replayed"] == "true"
        assert second.status_code == 409 and second.json()["code"] == "payment_request_paid"
        assert balance(payer_wallet) == Decimal("87.50")
        assert balance(requester_wallet) == Decimal("12.50")
        entry = JournalEntry.objects.get(kind="payment")
        assert entry.memo == "lunch" and entry.initiator == other_user
        assert QrLog.objects.filter(action="paid", user=other_user).count() == 1
        assert ledger_problems() == []

    def test_the_payer_chooses_the_amount_when_the_request_has_none(self, user, other_user):
        funded_wallet("100.00", owner=other_user)
        request_id = create(client_for(user)).json()["id"]
        payer = client_for(other_user)

        missing = pay(payer, request_id)
        response = pay(payer, request_id, {"amount": "7.25"})

        assert missing.status_code == 400
        assert response.status_code == 201 and response.json()["paid_amount"] == "7.25"
        assert balance(LedgerAccount.objects.get(owner=user, currency="USD")) == Decimal("7.25")
        assert ledger_problems() == []

    def test_an_amount_is_refused_when_the_request_names_one(self, user, other_user):
        funded_wallet("100.00", owner=other_user)
        request_id = create(client_for(user), amount="1.00").json()["id"]

        response = pay(client_for(other_user), request_id, {"amount": "2.00"})

        assert response.status_code == 400
        assert not JournalEntry.objects.filter(kind="payment").exists()

    @pytest.mark.parametrize(
        "amount, status, code",
        [
            ("-1.00", 400, "validation_error"),
            ("0", 400, "validation_error"),
            ("1.001", 400, "validation_error"),
            ("NaN", 400, "validation_error"),
            (1.5, 400, "validation_error"),
            ("100.01", 422, "insufficient_funds"),
        ],
    )
    def test_bad_amounts_are_refused_and_nothing_is_posted(self, user, other_user, amount, status, code):
        funded_wallet("100.00", owner=other_user)
        request_id = create(client_for(user)).json()["id"]

        response = pay(client_for(other_user), request_id, {"amount": amount})

        assert response.status_code == status and response.json()["code"] == code
        assert not JournalEntry.objects.filter(kind="payment").exists()
        assert PaymentRequest.objects.get().status == "open"

    def test_an_expired_request_is_refused(self, user, other_user):
        funded_wallet("100.00", owner=other_user)
        request_id = create(client_for(user), amount="1.00").json()["id"]
        PaymentRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        response = pay(client_for(other_user), request_id)

        assert response.status_code == 422 and response.json()["code"] == "payment_request_expired"
        assert client_for(other_user).get(f"{URL}/{request_id}").json()["status"] == "expired"
        assert not JournalEntry.objects.filter(kind="payment").exists()

    def test_paying_your_own_request_is_refused(self, user):
        funded_wallet("100.00", owner=user)
        request_id = create(client_for(user), amount="1.00").json()["id"]

        response = pay(client_for(user), request_id)

        assert response.status_code == 400 and response.json()["code"] == "payment_request_own"

    def test_a_payer_without_a_wallet_in_the_currency_is_refused(self, user, other_user):
        funded_wallet("100.00", currency="EUR", owner=other_user)
        request_id = create(client_for(user), amount="1.00").json()["id"]

        response = pay(client_for(other_user), request_id)

        assert response.status_code == 422 and response.json()["code"] == "wallet_not_found"

    def test_a_cancelled_request_cannot_be_paid(self, user, other_user):
        funded_wallet("100.00", owner=other_user)
        request_id = create(client_for(user), amount="1.00").json()["id"]

        cancelled = client_for(user).delete(f"{URL}/{request_id}")
        response = pay(client_for(other_user), request_id)

        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert response.status_code == 409 and response.json()["code"] == "payment_request_cancelled"

    @pytest.mark.parametrize("request_id", [str(uuid.uuid4()), "not-a-uuid"])
    def test_unknown_or_malformed_ids_are_404(self, user, request_id):
        response = pay(client_for(user), request_id)

        assert response.status_code == 404 and response.json()["code"] == "payment_request_not_found"

    def test_unauthenticated_is_refused(self, user):
        request_id = create(client_for(user), amount="1.00").json()["id"]

        assert pay(APIClient(), request_id).status_code == 401


@pytest.mark.django_db
class TestQrLogs:
    def test_staff_see_the_log_with_filters_and_csv(self, user, other_user, staff_client):
        funded_wallet("100.00", owner=other_user)
        request_id = create(client_for(user), amount="3.00").json()["id"]
        client_for(other_user).get(f"{URL}/{request_id}")
        pay(client_for(other_user), request_id)
        staff = staff_client("auditor")

        everything = staff.get("/api/v1/admin/qr-logs")
        payments = staff.get("/api/v1/admin/qr-logs", {"action": "paid", "request": request_id})
        by_user = staff.get("/api/v1/admin/qr-logs", {"user": str(user.public_id)})
        export = staff.get("/api/v1/admin/qr-logs", {"format": "csv"})

        assert everything.status_code == 200
        assert sorted(row["action"] for row in everything.json()["results"]) == ["created", "paid", "viewed"]
        assert [(r["action"], r["user_email"]) for r in payments.json()["results"]] == [("paid", other_user.email)]
        assert [r["action"] for r in by_user.json()["results"]] == ["created"]
        lines = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert export["Content-Type"].startswith("text/csv") and len(lines) == 3
        assert {line["request"] for line in lines} == {request_id}

    @pytest.mark.parametrize("role", ["operations", "compliance officer", "administrator"])
    def test_staff_roles_with_the_permission(self, staff_client, role):
        assert staff_client(role).get("/api/v1/admin/qr-logs").status_code == 200

    def test_customers_are_refused(self, auth_client):
        assert auth_client.get("/api/v1/admin/qr-logs").status_code == 403

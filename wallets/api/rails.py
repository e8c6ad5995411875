"""Deposits and withdrawals by rail (bank transfer, Lightning): money-moving POSTs need an
Idempotency-Key; the GETs show a customer their own (another customer's is a 404)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore import money
from blockscore.api.pagination import CursorPagination
from blockscore.api.serializers import AmountStringField, StrictSerializer
from blockscore.exceptions import NotFound
from blockscore.idempotency import idempotent_post
from wallets.models import CURRENCY_CHOICES, Deposit, Rail, Withdrawal
from wallets.rails.lightning import verify_webhook_token, webhook_secret_from_settings
from wallets.services import lightning, rails
from wallets.services.pin import pin_check


def _parse_amount(data: dict, *, required: bool) -> dict:
    if data.get("amount") in (None, ""):
        if required:
            raise serializers.ValidationError({"amount": ["This field is required."]})
        data["amount"] = None
        return data
    try:
        data["amount"] = money.parse_amount(data["amount"], data["currency"])
    except money.InvalidAmount as exc:
        raise serializers.ValidationError({"amount": [exc.detail]}) from exc
    return data


class DepositInput(StrictSerializer):
    rail = serializers.ChoiceField(choices=Rail.choices)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, help_text="Lightning deposits are in BTC.")
    amount = AmountStringField(help_text='A decimal string at the currency\'s scale, e.g. "12.50" or "0.00025000".')

    def validate(self, data):
        return _parse_amount(data, required=True)


class WithdrawalInput(StrictSerializer):
    rail = serializers.ChoiceField(choices=Rail.choices)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, help_text="Lightning payouts are in BTC.")
    amount = AmountStringField(
        required=False,
        help_text="Bank: required. Lightning: optional, the invoice's amount; when given it must match it.",
    )
    beneficiary_name = serializers.CharField(max_length=140, required=False, help_text="Bank: required.")
    beneficiary_account = serializers.RegexField(
        r"^[A-Za-z0-9 ]{6,64}$", required=False, help_text="Bank: IBAN or account number, required."
    )
    beneficiary_bank = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")
    invoice = serializers.CharField(
        max_length=2000, required=False, help_text="Lightning: the BOLT11 invoice to pay (required)."
    )
    pin = serializers.RegexField(r"^\d{4,6}$", required=False, help_text="Your withdrawal PIN, if you set one.")

    def validate(self, data):
        if data["rail"] == Rail.LIGHTNING:
            if not data.get("invoice"):
                raise serializers.ValidationError({"invoice": ["This field is required for Lightning payouts."]})
            unexpected = [name for name in ("beneficiary_name", "beneficiary_account") if name in data]
            if unexpected:
                raise serializers.ValidationError({name: ["Not used for Lightning payouts."] for name in unexpected})
            return _parse_amount(data, required=False)
        missing = [name for name in ("beneficiary_name", "beneficiary_account") if not data.get(name)]
        if missing:
            raise serializers.ValidationError({name: ["This field is required."] for name in missing})
        if "invoice" in data:
            raise serializers.ValidationError({"invoice": ["Only for Lightning payouts."]})
        return _parse_amount(data, required=True)


class BankInstructions(serializers.Serializer):
    reference = serializers.CharField()
    beneficiary = serializers.CharField()
    account = serializers.CharField()
    bank = serializers.CharField()
    note = serializers.CharField()


class LightningInvoiceOutput(serializers.Serializer):
    payment_request = serializers.CharField(help_text="The BOLT11 invoice to pay from any Lightning wallet.")
    payment_uri = serializers.CharField(help_text="The same as a `lightning:` URI (for a QR code or a link).")
    payment_hash = serializers.CharField()
    expires_at = serializers.DateTimeField()


class _RailOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    rail = serializers.CharField()
    currency = serializers.CharField()
    amount = serializers.SerializerMethodField()
    status = serializers.CharField()
    wallet = serializers.UUIDField(source="wallet.public_id")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_amount(self, item) -> str:
        return money.format_amount(item.amount, item.currency)


class DepositOutput(_RailOutput):
    reference = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    instructions = serializers.SerializerMethodField(help_text="Bank transfers: where to send the money.")
    invoice = serializers.SerializerMethodField(help_text="Lightning: the invoice to pay.")

    @extend_schema_field(BankInstructions(allow_null=True))
    def get_instructions(self, deposit):
        if deposit.rail != Rail.BANK_TRANSFER:
            return None
        return BankInstructions(rails.bank_deposit_instructions(deposit)).data

    @extend_schema_field(LightningInvoiceOutput(allow_null=True))
    def get_invoice(self, deposit):
        if deposit.rail != Rail.LIGHTNING:
            return None
        return LightningInvoiceOutput(
            {
                "payment_request": deposit.payment_request,
                "payment_uri": f"lightning:{deposit.payment_request}",
                "payment_hash": deposit.payment_hash,
                "expires_at": deposit.expires_at,
            }
        ).data


class WithdrawalOutput(_RailOutput):
    beneficiary_name = serializers.CharField(
        help_text="Bank: the account holder. Lightning: the invoice's description."
    )
    beneficiary_account = serializers.CharField()
    payment_hash = serializers.CharField(help_text="Lightning: the invoice's payment hash.")
    fee = serializers.SerializerMethodField(help_text="Routing fee charged (Lightning), once sent.")
    held = serializers.SerializerMethodField(help_text="Held while pending: the amount and a routing-fee reserve.")
    preimage = serializers.CharField(help_text="Lightning: the proof of payment, once sent.")
    decided_at = serializers.DateTimeField(allow_null=True)

    def get_fee(self, item) -> str:
        return money.format_amount(item.fee, item.currency)

    def get_held(self, item) -> str:
        return money.format_amount(item.held if item.status == Withdrawal.Status.PENDING else 0, item.currency)


def _rail_list(model, output, noun: str):
    @extend_schema(tags=["money"], summary=f"Your {noun}s, newest first.")
    class View(generics.ListAPIView):
        serializer_class = output
        pagination_class = type(f"{model.__name__}Cursor", (CursorPagination,), {"ordering": ("-created_at", "-id")})
        filter_backends: list = []
        queryset = model.objects.none()  # for the schema

        def get_queryset(self):
            if getattr(self, "swagger_fake_view", False):
                return self.queryset
            return model.objects.filter(wallet__owner=self.request.user).select_related("wallet")

    return View


class _MoneyPostThrottle:
    @property
    def throttle_scope(self):  # money POSTs have their own, tighter rate; reading is "user"
        return "money" if self.request.method == "POST" else None


class DepositsView(_MoneyPostThrottle, _rail_list(Deposit, DepositOutput, "deposit")):
    @extend_schema(
        tags=["money"],
        summary="Start a deposit: bank transfer instructions with a reference, or a Lightning invoice.",
        description="Bank transfer: the wallet is credited when operations confirm the funds arrived. "
        "Lightning (BTC): pay the returned invoice; the wallet is credited once the Lightning node reports it "
        "paid (its webhook, or polling every minute). Refusals: `currency_not_supported` (Lightning is BTC), "
        "`lightning_disabled` (503, the rail is not configured), `lightning_unavailable` (503).",
        request=DepositInput,
        responses={201: DepositOutput, 422: OpenApiResponse(description="Refused (see `code`).")},
    )
    @idempotent_post
    def post(self, request):
        data = DepositInput(data=request.data)
        data.is_valid(raise_exception=True)
        deposit = rails.deposit_create(user=request.user, **data.validated_data)
        return Response(DepositOutput(deposit).data, status=status.HTTP_201_CREATED)


class WithdrawalsView(_MoneyPostThrottle, _rail_list(Withdrawal, WithdrawalOutput, "withdrawal")):
    @extend_schema(
        tags=["money"],
        summary="Withdraw to a bank account, or pay a Lightning invoice; the funds are held until it is sent.",
        description="Bank: operations send the payout and mark it sent or failed. Lightning (BTC): the invoice "
        "is decoded and checked (`invalid_invoice`, `invoice_expired`, `invoice_amount_mismatch`, "
        "`invoice_already_paid`), the amount plus a routing-fee reserve is held, and the payment is sent at once; "
        "the status turns `sent` (with the fee charged and the preimage) or `failed` (the hold released). "
        "Needs the withdrawal PIN when you have set one (`pin_required`, `invalid_pin`, `pin_locked`). "
        "Other refusals: `insufficient_funds`, `wallet_not_found`, `account_not_active`, `currency_not_supported`.",
        request=WithdrawalInput,
        responses={201: WithdrawalOutput, 422: OpenApiResponse(description="Refused (see `code`).")},
    )
    def post(self, request):
        data = WithdrawalInput(data=request.data)
        data.is_valid(raise_exception=True)
        # The PIN is checked before the idempotent transaction: a refused withdrawal is rolled
        # back, and a wrong guess must still count towards the PIN's lock.
        pin_check(user=request.user, pin=data.validated_data.get("pin"))
        return self.create(request)

    post.idempotent = True  # documents Idempotency-Key on this operation (blockscore.api.schema)

    @idempotent_post
    def create(self, request):
        data = WithdrawalInput(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = rails.withdrawal_create(user=request.user, **data.validated_data)
        return Response(WithdrawalOutput(withdrawal).data, status=status.HTTP_201_CREATED)


class DepositDetailView(APIView):
    @extend_schema(tags=["money"], summary="One of your deposits.", responses={200: DepositOutput})
    def get(self, request, deposit_id):
        deposit = get_object_or_404(
            Deposit.objects.select_related("wallet"), public_id=deposit_id, wallet__owner=request.user
        )
        return Response(DepositOutput(deposit).data)


class WithdrawalDetailView(APIView):
    @extend_schema(tags=["money"], summary="One of your withdrawals.", responses={200: WithdrawalOutput})
    def get(self, request, withdrawal_id):
        withdrawal = get_object_or_404(
            Withdrawal.objects.select_related("wallet"), public_id=withdrawal_id, wallet__owner=request.user
        )
        return Response(WithdrawalOutput(withdrawal).data)


class WebhookAnswer(serializers.Serializer):
    status = serializers.CharField(help_text="The deposit's status after the check.")


class LightningWebhookView(APIView):
    """Called by LNbits when a deposit's invoice is paid. The URL's token proves BlockScore
    made it; the body is ignored and LNbits is asked about the stored payment hash."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "webhook"

    @extend_schema(
        tags=["money"],
        summary="Lightning deposit webhook (called by LNbits, not by customers).",
        description="The token in the URL is an HMAC of the deposit reference; anything else is a 404. "
        "The body is not read: the invoice's status is asked from LNbits.",
        request=None,
        responses={200: WebhookAnswer, 503: OpenApiResponse(description="LNbits could not be asked; retry.")},
    )
    def post(self, request, reference, token):
        if not verify_webhook_token(reference, token, webhook_secret_from_settings()):
            raise NotFound()
        deposit = Deposit.objects.filter(reference=reference, rail=Rail.LIGHTNING).first()
        if deposit is None:
            raise NotFound()
        deposit = lightning.deposit_check(deposit)  # LightningError: 503, LNbits retries
        return Response({"status": deposit.status})

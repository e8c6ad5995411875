"""POST deposits and POST withdrawals (bank rail): money-moving, so Idempotency-Key is required."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore import money
from blockscore.api.serializers import AmountStringField, StrictSerializer
from blockscore.idempotency import idempotent_post
from wallets.models import CURRENCY_CHOICES, Rail
from wallets.services import rails
from wallets.services.pin import pin_check


class _MoneyInput(StrictSerializer):
    rail = serializers.ChoiceField(choices=Rail.choices)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    amount = AmountStringField(help_text='A decimal string at the currency\'s scale, e.g. "12.50".')

    def validate(self, data):
        try:
            data["amount"] = money.parse_amount(data["amount"], data["currency"])
        except money.InvalidAmount as exc:
            raise serializers.ValidationError({"amount": [exc.detail]}) from exc
        return data


class DepositInput(_MoneyInput):
    pass


class WithdrawalInput(_MoneyInput):
    beneficiary_name = serializers.CharField(max_length=140)
    beneficiary_account = serializers.RegexField(r"^[A-Za-z0-9 ]{6,64}$", help_text="IBAN or account number.")
    beneficiary_bank = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")
    pin = serializers.RegexField(r"^\d{4,6}$", required=False, help_text="Your withdrawal PIN, if you set one.")


class BankInstructions(serializers.Serializer):
    reference = serializers.CharField()
    beneficiary = serializers.CharField()
    account = serializers.CharField()
    bank = serializers.CharField()
    note = serializers.CharField()


class _RailOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    rail = serializers.CharField()
    currency = serializers.CharField()
    amount = serializers.SerializerMethodField()
    status = serializers.CharField()
    wallet = serializers.UUIDField(source="wallet.public_id")
    created_at = serializers.DateTimeField()

    def get_amount(self, item) -> str:
        return money.format_amount(item.amount, item.currency)


class DepositOutput(_RailOutput):
    instructions = serializers.SerializerMethodField()

    def get_instructions(self, deposit) -> BankInstructions:
        return BankInstructions(rails.bank_deposit_instructions(deposit)).data


class WithdrawalOutput(_RailOutput):
    beneficiary_name = serializers.CharField()
    beneficiary_account = serializers.CharField()


class DepositsView(APIView):
    throttle_scope = "money"

    @extend_schema(
        tags=["money"],
        summary="Announce a deposit: bank transfer instructions with a reference to quote.",
        description="The wallet is credited when operations confirm the funds arrived. "
        "`rail_unavailable` for rails not offered yet.",
        request=DepositInput,
        responses={201: DepositOutput, 422: OpenApiResponse(description="Refused (see `code`).")},
    )
    @idempotent_post
    def post(self, request):
        data = DepositInput(data=request.data)
        data.is_valid(raise_exception=True)
        deposit = rails.deposit_create(user=request.user, **data.validated_data)
        return Response(DepositOutput(deposit).data, status=status.HTTP_201_CREATED)


class WithdrawalsView(APIView):
    throttle_scope = "money"

    @extend_schema(
        tags=["money"],
        summary="Withdraw to a bank account: the funds are held until operations send the payout.",
        description="Needs the withdrawal PIN when you have set one (`pin_required`, `invalid_pin`, `pin_locked`). "
        "Refusals: `insufficient_funds`, `wallet_not_found`, `account_not_active`, `rail_unavailable`.",
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

"""FX endpoints: the rates, a quote, and executing a quote (money-moving: Idempotency-Key)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore import money
from blockscore.api.serializers import AmountStringField, StrictSerializer
from blockscore.idempotency import idempotent_post
from wallets.models import CURRENCY_CHOICES, FxRate
from wallets.services import fx


class FxRateOutput(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["base", "quote", "rate", "spread_bps", "updated_at"]
        read_only_fields = fields


class QuoteInput(StrictSerializer):
    sell_currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    buy_currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    sell_amount = AmountStringField()

    def validate(self, data):
        try:
            data["sell_amount"] = money.parse_amount(data["sell_amount"], data["sell_currency"])
        except money.InvalidAmount as exc:
            raise serializers.ValidationError({"sell_amount": [exc.detail]}) from exc
        return data


class QuoteOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    sell_currency = serializers.CharField()
    sell_amount = serializers.SerializerMethodField()
    buy_currency = serializers.CharField()
    buy_amount = serializers.SerializerMethodField()
    rate = serializers.DecimalField(source="customer_rate", max_digits=24, decimal_places=10, coerce_to_string=True)
    mid_rate = serializers.DecimalField(max_digits=24, decimal_places=10, coerce_to_string=True)
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    entry = serializers.UUIDField(source="entry.public_id", default=None, allow_null=True)

    def get_sell_amount(self, quote) -> str:
        return money.format_amount(quote.sell_amount, quote.sell_currency)

    def get_buy_amount(self, quote) -> str:
        return money.format_amount(quote.buy_amount, quote.buy_currency)


class ExchangeInput(StrictSerializer):
    quote_id = serializers.UUIDField()


class FxRatesView(APIView):
    @extend_schema(
        tags=["fx"],
        summary="Exchange rates (mid) and spreads set by operations.",
        responses={200: FxRateOutput(many=True)},
    )
    def get(self, request):
        return Response(FxRateOutput(FxRate.objects.all(), many=True).data)


class FxQuotesView(APIView):
    throttle_scope = "money"

    @extend_schema(
        tags=["fx"],
        summary="Quote an exchange: the rate after spread and both amounts, valid for a short time.",
        request=QuoteInput,
        responses={201: QuoteOutput, 422: OpenApiResponse(description="`fx_rate_unavailable`, `invalid_amount`.")},
    )
    def post(self, request):
        data = QuoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        quote = fx.fx_quote_create(user=request.user, **data.validated_data)
        return Response(QuoteOutput(quote).data, status=status.HTTP_201_CREATED)


class FxExchangesView(APIView):
    throttle_scope = "money"

    @extend_schema(
        tags=["fx"],
        summary="Execute one of your quotes, once, between your own wallets.",
        request=ExchangeInput,
        responses={
            201: QuoteOutput,
            404: OpenApiResponse(description="No such quote of yours."),
            409: OpenApiResponse(description="`fx_quote_used`."),
            422: OpenApiResponse(description="`fx_quote_expired`, `insufficient_funds`, `wallet_not_found`."),
        },
    )
    @idempotent_post
    def post(self, request):
        data = ExchangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        quote = fx.fx_exchange_execute(user=request.user, quote_id=data.validated_data["quote_id"])
        return Response(QuoteOutput(quote).data, status=status.HTTP_201_CREATED)

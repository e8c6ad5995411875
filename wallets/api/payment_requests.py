"""Payment request endpoints (customers) and the QR log (staff). Thin: validate, call
wallets.services.payment_requests, serialize."""

import uuid
from datetime import timedelta

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore import money
from blockscore.api.export import CsvExportMixin, csv_list_schema
from blockscore.api.permissions import IsStaffWithMfa
from blockscore.api.serializers import AmountStringField, StrictSerializer
from blockscore.idempotency import idempotent_post
from wallets.models import CURRENCY_CHOICES, PaymentRequest, QrLog
from wallets.services import payment_requests as service

# -- serializers ---------------------------------------------------------------------


class PaymentRequestCreateInput(StrictSerializer):
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    amount = AmountStringField(
        required=False, help_text='A decimal string at the currency\'s scale, e.g. "12.50". Omit: the payer chooses.'
    )
    memo = serializers.CharField(max_length=280, required=False, allow_blank=True, default="")
    expires_in = serializers.IntegerField(
        min_value=60,
        max_value=int(service.MAX_EXPIRY.total_seconds()),
        default=int(service.DEFAULT_EXPIRY.total_seconds()),
        help_text="Seconds until the request expires (default one day, at most 30 days).",
    )

    def validate(self, data):
        if "amount" in data:
            try:
                data["amount"] = money.parse_amount(data["amount"], data["currency"])
            except money.InvalidAmount as exc:
                raise serializers.ValidationError({"amount": [exc.detail]}) from exc
        data["expires_in"] = timedelta(seconds=data["expires_in"])
        return data


class PaymentRequestPayInput(StrictSerializer):
    amount = AmountStringField(required=False, help_text="Only when the request names no amount.")


class PaymentRequestOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.SerializerMethodField(help_text="open, paid, cancelled or expired.")
    currency = serializers.CharField()
    amount = serializers.SerializerMethodField(help_text="Null: the payer chooses the amount.")
    memo = serializers.CharField()
    requester_name = serializers.SerializerMethodField()
    requester_email = serializers.SerializerMethodField(help_text="Masked.")
    uri = serializers.SerializerMethodField(help_text="The payment URI the QR code holds.")
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)

    def get_status(self, obj) -> str:
        return "expired" if obj.is_expired else obj.status

    def get_amount(self, obj) -> str | None:
        return None if obj.amount is None else money.format_amount(obj.amount, obj.currency)

    def get_requester_name(self, obj) -> str:
        return f"{obj.requester.first_name} {obj.requester.last_name}".strip()

    def get_requester_email(self, obj) -> str:
        return service.masked_email(obj.requester.email)

    def get_uri(self, obj) -> str:
        return service.payment_uri(obj)


class PaymentRequestCreatedOutput(PaymentRequestOutput):
    qr_svg = serializers.SerializerMethodField(help_text="The QR code as an inline SVG document.")
    qr_png = serializers.SerializerMethodField(help_text="The QR code as a PNG data URL (base64).")

    def get_qr_svg(self, obj) -> str:
        return service.qr_svg(service.payment_uri(obj))

    def get_qr_png(self, obj) -> str:
        return service.qr_png_data_url(service.payment_uri(obj))


class PaymentOutput(PaymentRequestOutput):
    entry = serializers.UUIDField(source="entry.public_id", help_text="The payment's journal entry.")
    paid_amount = serializers.SerializerMethodField()

    def get_paid_amount(self, obj) -> str:
        units = -obj.entry.postings.filter(amount_minor__lt=0).first().amount_minor
        return money.format_amount(money.from_minor_units(units, obj.currency), obj.currency)


class QrLogOutput(serializers.ModelSerializer):
    request = serializers.UUIDField(source="request.public_id", read_only=True)
    user = serializers.UUIDField(source="user.public_id", read_only=True, allow_null=True)
    user_email = serializers.EmailField(source="user.email", read_only=True, allow_null=True)

    class Meta:
        model = QrLog
        fields = ["id", "action", "request", "user", "user_email", "ip", "created_at"]
        read_only_fields = fields


# -- views ---------------------------------------------------------------------------


def _public_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise service.PaymentRequestNotFound() from exc


class PaymentRequestsView(APIView):
    @extend_schema(
        tags=["money"],
        summary="Ask for money: a payment URI and its QR code (SVG and PNG).",
        request=PaymentRequestCreateInput,
        responses={201: PaymentRequestCreatedOutput},
    )
    def post(self, request):
        data = PaymentRequestCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment_request = service.payment_request_create(requester=request.user, **data.validated_data)
        return Response(PaymentRequestCreatedOutput(payment_request).data, status=status.HTTP_201_CREATED)


class PaymentRequestDetailView(APIView):
    @extend_schema(
        tags=["money"],
        summary="A payment request, as its payer sees it (with its QR code).",
        description="Any customer may view an open request; a paid or cancelled one only its requester and payer.",
        responses={200: PaymentRequestCreatedOutput, 404: OpenApiResponse(description="`payment_request_not_found`.")},
    )
    def get(self, request, request_id):
        payment_request = service.payment_request_view(public_id=_public_id(request_id), viewer=request.user)
        return Response(PaymentRequestCreatedOutput(payment_request).data)

    @extend_schema(
        tags=["money"],
        summary="Cancel your open payment request.",
        request=None,
        responses={200: PaymentRequestOutput, 409: OpenApiResponse(description="`payment_request_paid`.")},
    )
    def delete(self, request, request_id):
        payment_request = service.payment_request_cancel(public_id=_public_id(request_id), requester=request.user)
        return Response(PaymentRequestOutput(payment_request).data)


class PaymentRequestPayView(APIView):
    throttle_scope = "money"

    @extend_schema(
        tags=["money"],
        summary="Pay a payment request from your wallet in its currency (once).",
        description="Refusals: `payment_request_paid` (409), `payment_request_cancelled` (409), "
        "`payment_request_expired` (422), `payment_request_own` (400), `insufficient_funds`, `limit_exceeded`, "
        "`wallet_not_found`, `account_not_active`, `transfer_refused` (422).",
        request=PaymentRequestPayInput,
        responses={
            201: PaymentOutput,
            404: OpenApiResponse(description="`payment_request_not_found`."),
            409: OpenApiResponse(description="Already paid or cancelled."),
            422: OpenApiResponse(description="The payment was refused (see `code`)."),
        },
    )
    @idempotent_post
    def post(self, request, request_id):
        public_id = _public_id(request_id)
        data = PaymentRequestPayInput(data=request.data)
        data.is_valid(raise_exception=True)
        amount = data.validated_data.get("amount")
        if amount is not None:
            currency = PaymentRequest.objects.filter(public_id=public_id).values_list("currency", flat=True).first()
            if currency is None:
                raise service.PaymentRequestNotFound()
            try:
                amount = money.parse_amount(amount, currency)
            except money.InvalidAmount as exc:
                raise serializers.ValidationError({"amount": [exc.detail]}) from exc
        payment_request = service.payment_request_pay(public_id=public_id, payer=request.user, amount=amount)
        return Response(PaymentOutput(payment_request).data, status=status.HTTP_201_CREATED)


class QrLogFilter(filters.FilterSet):
    action = filters.MultipleChoiceFilter(choices=QrLog.Action.choices)
    user = filters.UUIDFilter(field_name="user__public_id", help_text="The user's public id.")
    email = filters.CharFilter(field_name="user__email", lookup_expr="icontains")
    request = filters.UUIDFilter(field_name="request__public_id", help_text="The payment request's id.")
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = QrLog
        fields: list = []


@csv_list_schema(QrLogOutput, tags=["admin"], summary="(staff) Payment request QR log; `?format=csv` exports.")
class AdminQrLogsView(CsvExportMixin, generics.ListAPIView):
    permission_classes = [IsStaffWithMfa]
    required_permissions = ("wallets.view_qrlog",)
    throttle_scope = "staff"
    serializer_class = QrLogOutput
    filterset_class = QrLogFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    csv_name = "qr-logs"
    queryset = QrLog.objects.select_related("request", "user")

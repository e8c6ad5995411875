"""Customer wallet endpoints: a customer sees only their own wallets (404 for others')."""

from datetime import UTC, datetime

from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore import money
from blockscore.api.export import CsvExportMixin, csv_list_schema
from blockscore.api.pagination import CursorPagination
from blockscore.api.permissions import IsStaffWithMfa
from blockscore.exceptions import ValidationFailed
from blockscore.idempotency import idempotent_post
from wallets import selectors, services
from wallets.api import serializers as s
from wallets.models import JournalEntry, LedgerAccount, Posting


class WalletsView(generics.ListAPIView):
    serializer_class = s.WalletOutput
    filter_backends: list = []

    def get_queryset(self):
        return selectors.wallets_of(self.request.user)

    @extend_schema(tags=["wallets"], summary="Your wallets, one per currency, with balances.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["wallets"],
        summary="Open a wallet in a currency.",
        request=s.WalletOpenInput,
        responses={201: s.WalletOutput, 409: OpenApiResponse(description="`wallet_exists`.")},
    )
    def post(self, request):
        data = s.WalletOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        wallet = services.wallet_create(owner=request.user, currency=data.validated_data["currency"])
        return Response(s.WalletOutput(wallet).data, status=status.HTTP_201_CREATED)


class WalletDetailView(APIView):
    @extend_schema(tags=["wallets"], summary="One of your wallets.", responses={200: s.WalletOutput})
    def get(self, request, wallet_id):
        return Response(s.WalletOutput(selectors.wallet_of(request.user, wallet_id)).data)


def _amount_bound(value, lookup: str) -> Q:
    """Match postings whose size (in or out) is >= or <= ``value`` major units, per currency."""
    clauses = Q()
    for code, cur in money.CURRENCIES.items():
        units = int(value.scaleb(cur.exponent))
        if lookup == "min":
            clauses |= Q(currency=code) & (Q(amount_minor__gte=units) | Q(amount_minor__lte=-units))
        else:
            clauses |= Q(currency=code, amount_minor__lte=units, amount_minor__gte=-units)
    return clauses


class TransactionFilter(filters.FilterSet):
    posted_after = filters.IsoDateTimeFilter(field_name="posted_at", lookup_expr="gte")
    posted_before = filters.IsoDateTimeFilter(field_name="posted_at", lookup_expr="lt")
    kind = filters.MultipleChoiceFilter(field_name="entry__kind", choices=JournalEntry.Kind.choices)
    direction = filters.ChoiceFilter(choices=[("in", "in"), ("out", "out")], method="filter_direction")
    min_amount = filters.NumberFilter(method="filter_min_amount", help_text="Size at least this (in or out).")
    max_amount = filters.NumberFilter(method="filter_max_amount", help_text="Size at most this (in or out).")
    currency = filters.CharFilter(field_name="currency")

    class Meta:
        model = Posting
        fields: list = []

    def filter_direction(self, queryset, name, value):
        return queryset.filter(amount_minor__gt=0) if value == "in" else queryset.filter(amount_minor__lt=0)

    def _bounded(self, value):
        if value is None or not value.is_finite() or value < 0 or value >= 10**15:
            raise ValidationFailed("Amount bounds must be non-negative numbers.", code="invalid_amount")
        return value

    def filter_min_amount(self, queryset, name, value):
        return queryset.filter(_amount_bound(self._bounded(value), "min"))

    def filter_max_amount(self, queryset, name, value):
        return queryset.filter(_amount_bound(self._bounded(value), "max"))


class _TransactionList(CsvExportMixin, generics.ListAPIView):
    queryset = Posting.objects.none()  # for the schema; get_queryset scopes to the user
    serializer_class = s.TransactionOutput
    filterset_class = TransactionFilter
    pagination_class = CursorPagination
    ordering_fields: list = []
    csv_name = "transactions"


@csv_list_schema(s.TransactionOutput, tags=["wallets"], summary="Postings of one of your wallets, newest first.")
class WalletTransactionsView(_TransactionList):
    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        wallet = selectors.wallet_of(self.request.user, self.kwargs["wallet_id"])
        return selectors.transactions_of(self.request.user).filter(account=wallet)


@csv_list_schema(s.TransactionOutput, tags=["wallets"], summary="Postings of all your wallets, newest first.")
class TransactionsView(_TransactionList):
    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.transactions_of(self.request.user)


class StatementView(APIView):
    @extend_schema(
        tags=["wallets"],
        summary="A monthly statement: opening and closing balance and every posting.",
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (UTC); this month by default.")],
        responses={200: s.StatementOutput},
    )
    def get(self, request, wallet_id):
        wallet = selectors.wallet_of(request.user, wallet_id)
        start, end = _month_bounds(request.query_params.get("month"))
        return Response(s.StatementOutput(selectors.statement(wallet, start=start, end=end)).data)


def _month_bounds(text: str | None) -> tuple[datetime, datetime]:
    if text:
        try:
            start = datetime.strptime(text, "%Y-%m").replace(tzinfo=UTC)
        except ValueError as exc:
            raise ValidationFailed(
                "month must be YYYY-MM.", code="invalid_month", extra={"errors": {"month": ["YYYY-MM"]}}
            ) from exc
    else:
        now = timezone.now()
        start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


class AdminWalletFilter(filters.FilterSet):
    owner_email = filters.CharFilter(field_name="owner__email", lookup_expr="icontains")
    number = filters.CharFilter()
    kind = filters.MultipleChoiceFilter(choices=LedgerAccount.Kind.choices)
    status = filters.MultipleChoiceFilter(choices=LedgerAccount.Status.choices)
    currency = filters.CharFilter()

    class Meta:
        model = LedgerAccount
        fields: list = []


@csv_list_schema(s.AdminWalletOutput, tags=["admin"], summary="(staff) Ledger accounts; `?format=csv` exports.")
class AdminWalletsView(CsvExportMixin, generics.ListAPIView):
    permission_classes = [IsStaffWithMfa]
    required_permissions = ("wallets.view_ledgeraccount",)
    throttle_scope = "staff"
    serializer_class = s.AdminWalletOutput
    filterset_class = AdminWalletFilter
    ordering_fields = ["created_at", "balance_minor", "number"]
    ordering = ["id"]
    csv_name = "wallets"
    queryset = LedgerAccount.objects.select_related("owner")


class AdminTransactionFilter(TransactionFilter):
    account_number = filters.CharFilter(field_name="account__number")
    owner_email = filters.CharFilter(field_name="account__owner__email", lookup_expr="icontains")
    account_kind = filters.MultipleChoiceFilter(field_name="account__kind", choices=LedgerAccount.Kind.choices)
    entry = filters.UUIDFilter(field_name="entry__public_id")


@csv_list_schema(s.AdminTransactionOutput, tags=["admin"], summary="(staff) Every posting; `?format=csv` exports.")
class AdminTransactionsView(_TransactionList):
    permission_classes = [IsStaffWithMfa]
    required_permissions = ("wallets.view_posting",)
    throttle_scope = "staff"
    serializer_class = s.AdminTransactionOutput
    filterset_class = AdminTransactionFilter
    csv_name = "transactions"

    def get_queryset(self):
        return Posting.objects.select_related("entry__initiator", "account")


class TransfersView(APIView):
    throttle_scope = "money"

    @extend_schema(
        tags=["money"],
        summary="Send money to another customer by e-mail or account number.",
        description="Same currency only. Refusals: `insufficient_funds`, `limit_exceeded`, `recipient_not_found`, "
        "`transfer_to_self`, `currency_mismatch`, `wallet_not_found`, `account_not_active`, `transfer_refused`.",
        request=s.TransferInput,
        responses={201: s.TransferOutput, 422: OpenApiResponse(description="The transfer was refused (see `code`).")},
    )
    # No savepoint: a transfer refuses before it writes (transfer_create opens a
    # recipient's wallet inside an atomic block of its own).
    @idempotent_post(savepoint=False)
    def post(self, request):
        data = s.TransferInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.transfer_create(sender=request.user, **data.validated_data)
        return Response(s.transfer_output(selectors.transfer_summary(entry)), status=status.HTTP_201_CREATED)

"""Console pages for payment requests and their QR log: read-only (customers create,
pay and cancel them through the API)."""

from django.contrib import admin

from blockscore.admin import ReadOnlyAdmin
from wallets.models import PaymentRequest, QrLog


class QrLogInline(admin.TabularInline):
    model = QrLog
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "user", "ip"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PaymentRequest)
class PaymentRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "public_id", "requester", "currency", "amount", "status", "expires_at", "paid_by"]
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["=public_id", "requester__email", "paid_by__email", "memo"]
    date_hierarchy = "created_at"
    list_select_related = ["requester", "paid_by"]
    fields = [
        "public_id",
        "requester",
        "wallet",
        "currency",
        "amount",
        "memo",
        "status",
        "expires_at",
        "created_at",
        "paid_at",
        "paid_by",
        "entry",
    ]
    readonly_fields = fields
    inlines = [QrLogInline]


@admin.register(QrLog)
class QrLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "request", "user", "ip"]
    list_filter = ["action", "created_at"]
    search_fields = ["=request__public_id", "user__email", "ip"]
    date_hierarchy = "created_at"
    list_select_related = ["request", "user"]
    fields = ["created_at", "action", "request", "user", "ip"]
    readonly_fields = fields

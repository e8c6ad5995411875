"""Staff console for the ledger: accounts and entries are read-only; freezing goes
through wallets.services (audited)."""

from django.contrib import admin, messages

from blockscore import money
from blockscore.admin import ReadOnlyAdmin
from wallets import services
from wallets.models import JournalEntry, LedgerAccount, Posting


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ["account", "currency", "signed_amount", "balance_after_display", "posted_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount")
    def signed_amount(self, obj):
        return money.format_amount(obj.amount, obj.currency)

    @admin.display(description="Balance after")
    def balance_after_display(self, obj):
        return money.format_amount(obj.balance_after, obj.currency)


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "owner", "currency", "balance_display", "held_display", "status", "created_at"]
    list_filter = ["kind", "status", "currency", "rail"]
    search_fields = ["number", "=public_id", "owner__email", "name"]
    list_select_related = ["owner"]
    fields = [
        "public_id",
        "number",
        "kind",
        "owner",
        "currency",
        "rail",
        "name",
        "status",
        "balance_display",
        "held_display",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["freeze", "unfreeze"]

    @admin.display(description="Balance")
    def balance_display(self, obj):
        return money.format_amount(obj.balance, obj.currency)

    @admin.display(description="Held")
    def held_display(self, obj):
        return money.format_amount(obj.held, obj.currency)

    def _set_status(self, request, queryset, status):
        for account in queryset:
            services.wallet_set_status(account=account, status=status, actor=request.user, reason="console action")
        self.message_user(request, f"{queryset.count()} account(s) now {status}.", messages.SUCCESS)

    @admin.action(description="Freeze selected accounts", permissions=["freeze"])
    def freeze(self, request, queryset):
        self._set_status(request, queryset, LedgerAccount.Status.FROZEN)

    @admin.action(description="Unfreeze selected accounts", permissions=["freeze"])
    def unfreeze(self, request, queryset):
        self._set_status(request, queryset, LedgerAccount.Status.ACTIVE)

    def has_freeze_permission(self, request):
        return request.user.has_perm("wallets.freeze_ledgeraccount")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["posted_at", "kind", "memo", "initiator", "public_id", "reverses"]
    list_filter = ["kind", "posted_at"]
    search_fields = ["=public_id", "memo", "idempotency_key", "postings__account__number"]
    date_hierarchy = "posted_at"
    list_select_related = ["initiator", "reverses"]
    fields = ["public_id", "kind", "memo", "initiator", "idempotency_key", "reverses", "metadata", "posted_at"]
    readonly_fields = fields
    inlines = [PostingInline]

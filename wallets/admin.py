"""Staff console for the ledger: accounts and entries are read-only; freezing goes
through wallets.services (audited)."""

from django.contrib import admin, messages

from blockscore import money
from blockscore.admin import ReadOnlyAdmin
from wallets import services
from wallets.models import Deposit, FxQuote, FxRate, JournalEntry, LedgerAccount, Posting, Rail, Withdrawal
from wallets.services import fx, lightning, rails


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


class _RailAdmin(ReadOnlyAdmin):
    """Queues of deposits and payouts; the actions call wallets.services.rails."""

    list_filter = ["status", "rail", "currency", "created_at"]
    date_hierarchy = "created_at"
    list_select_related = ["wallet__owner", "decided_by"]

    @admin.display(description="Amount")
    def amount_display(self, obj):
        return f"{money.format_amount(obj.amount, obj.currency)} {obj.currency}"

    @admin.display(description="Customer")
    def customer(self, obj):
        return obj.wallet.owner.email if obj.wallet.owner_id else ""

    def _apply(self, request, queryset, service, done: str, **kwargs):
        from blockscore.exceptions import DomainError

        changed = 0
        for item in queryset:
            try:
                service(**{self.service_arg: item}, actor=request.user, note="console action")
                changed += 1
            except DomainError as exc:
                self.message_user(request, f"{item}: {exc.detail}", messages.ERROR)
        if changed:
            self.message_user(request, f"{changed} {done}.", messages.SUCCESS)

    def _check(self, request, queryset, check, done: str):
        """Ask LNbits about Lightning items now instead of waiting for the reconciler."""
        from blockscore.exceptions import DomainError

        checked = []
        for item in queryset.filter(rail=Rail.LIGHTNING):
            try:
                checked.append(f"{item.public_id}: {check(item, actor=request.user).status}")
            except DomainError as exc:
                self.message_user(request, f"{item}: {exc.detail}", messages.ERROR)
        if checked:
            self.message_user(request, f"{len(checked)} {done}: " + "; ".join(checked), messages.SUCCESS)
        elif not queryset.filter(rail=Rail.LIGHTNING).exists():
            self.message_user(request, "Only Lightning items are checked with LNbits.", messages.WARNING)


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    """Operations keep the rates here; every save goes through fx_rate_set (audited)."""

    list_display = ["base", "quote", "rate", "spread_bps", "updated_at", "updated_by"]
    list_filter = ["base", "quote"]
    fields = ["base", "quote", "rate", "spread_bps"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = fx.fx_rate_set(
            base=obj.base, quote=obj.quote, rate=obj.rate, spread_bps=obj.spread_bps, actor=request.user
        )
        obj.pk = saved.pk


@admin.register(FxQuote)
class FxQuoteAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "sell_currency", "buy_currency", "customer_rate", "status", "expires_at"]
    list_filter = ["status", "sell_currency", "buy_currency"]
    search_fields = ["=public_id", "user__email"]
    list_select_related = ["user"]


@admin.register(Deposit)
class DepositAdmin(_RailAdmin):
    service_arg = "deposit"
    list_display = ["created_at", "reference", "customer", "amount_display", "rail", "status", "decided_by"]
    search_fields = ["reference", "=public_id", "wallet__owner__email", "wallet__number"]
    fields = [
        "public_id",
        "reference",
        "wallet",
        "rail",
        "currency",
        "amount_display",
        "status",
        "entry",
        "created_at",
        "completed_at",
        "decided_by",
        "note",
        "payment_hash",
        "payment_request",
        "expires_at",
    ]
    readonly_fields = fields
    actions = ["confirm_receipt", "cancel", "check_lightning"]

    @admin.action(description="Confirm the funds arrived (credit the wallet)", permissions=["confirm"])
    def confirm_receipt(self, request, queryset):
        self._apply(request, queryset, rails.deposit_confirm, "deposit(s) credited")

    @admin.action(description="Cancel selected pending deposits", permissions=["confirm"])
    def cancel(self, request, queryset):
        self._apply(request, queryset, rails.deposit_cancel, "deposit(s) cancelled")

    @admin.action(
        description="Check with LNbits (Lightning: credit if paid, expire if unpaid)", permissions=["confirm"]
    )
    def check_lightning(self, request, queryset):
        self._check(request, queryset, lightning.deposit_check, "deposit(s) checked")

    def has_confirm_permission(self, request):
        return request.user.has_perm("wallets.confirm_deposit")


@admin.register(Withdrawal)
class WithdrawalAdmin(_RailAdmin):
    service_arg = "withdrawal"
    list_display = [
        "created_at",
        "customer",
        "amount_display",
        "beneficiary_name",
        "beneficiary_account",
        "status",
        "decided_by",
    ]
    search_fields = ["=public_id", "wallet__owner__email", "wallet__number", "beneficiary_account"]
    fields = [
        "public_id",
        "wallet",
        "rail",
        "currency",
        "amount_display",
        "status",
        "beneficiary_name",
        "beneficiary_account",
        "beneficiary_bank",
        "payment_hash",
        "payment_request",
        "fee_reserve_minor",
        "fee_minor",
        "preimage",
        "attempted_at",
        "entry",
        "created_at",
        "decided_at",
        "decided_by",
        "note",
    ]
    readonly_fields = fields
    actions = ["mark_sent", "mark_failed", "check_lightning"]

    @admin.action(description="Mark sent (debit the wallet)", permissions=["decide"])
    def mark_sent(self, request, queryset):
        self._apply(request, queryset, rails.withdrawal_mark_sent, "payout(s) marked sent")

    @admin.action(description="Mark failed (release the held funds)", permissions=["decide"])
    def mark_failed(self, request, queryset):
        self._apply(request, queryset, rails.withdrawal_mark_failed, "payout(s) marked failed")

    @admin.action(
        description="Check with LNbits (Lightning: settle or release on the payment's state)", permissions=["decide"]
    )
    def check_lightning(self, request, queryset):
        self._check(request, queryset, lightning.withdrawal_check, "payout(s) checked")

    def has_decide_permission(self, request):
        return request.user.has_perm("wallets.decide_withdrawal")


# Console pages kept in their own modules, registered on import.
from wallets import admin_adjustments, admin_payment_requests  # noqa: E402,F401

"""Console: propose a manual correction; a different staff member approves or rejects it."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages

from blockscore import money
from blockscore.admin import ReadOnlyAdmin
from blockscore.exceptions import DomainError
from wallets.models import Adjustment
from wallets.services import adjustments


class AdjustmentProposalForm(forms.ModelForm):
    amount = forms.DecimalField(
        required=False,
        max_digits=24,
        decimal_places=8,
        help_text="Adjustment: the signed change to the account, e.g. -12.50 (suspense takes the other side).",
    )

    class Meta:
        model = Adjustment
        fields = ["kind", "account", "amount", "entry_to_reverse", "reason"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Adjustment.Kind.ADJUSTMENT and (
            data.get("account") is None or data.get("amount") in (None, Decimal(0))
        ):
            raise forms.ValidationError("An adjustment needs an account and a non-zero amount.")
        if kind == Adjustment.Kind.ADJUSTMENT:
            try:
                money.exact(data["amount"], data["account"].currency)
            except money.LossyAmount as exc:
                raise forms.ValidationError(f"{data['account'].currency} has fewer decimal places.") from exc
        if kind == Adjustment.Kind.REVERSAL and data.get("entry_to_reverse") is None:
            raise forms.ValidationError("A reversal needs the entry to reverse.")
        return data


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = [
        "proposed_at",
        "kind",
        "account",
        "amount",
        "entry_to_reverse",
        "reason",
        "status",
        "proposed_by",
        "decided_by",
    ]
    list_filter = ["status", "kind", "proposed_at"]
    search_fields = ["reason", "=public_id", "account__number"]
    list_select_related = ["account", "entry_to_reverse", "proposed_by", "decided_by"]
    raw_id_fields = ["account", "entry_to_reverse"]
    actions = ["approve", "reject"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AdjustmentProposalForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "account", "amount", "entry_to_reverse", "reason"]
        return [
            "public_id",
            "kind",
            "account",
            "amount",
            "entry_to_reverse",
            "reason",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "posted_entry",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_add_permission(self, request):
        return request.user.has_perm("wallets.propose_adjustment")

    def has_approve_permission(self, request):
        return request.user.has_perm("wallets.approve_adjustment")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if data["kind"] == Adjustment.Kind.REVERSAL:
                saved = adjustments.reversal_propose(
                    actor=request.user, entry=data["entry_to_reverse"], reason=data["reason"]
                )
            else:
                saved = adjustments.adjustment_propose(
                    actor=request.user, account=data["account"], amount=data["amount"], reason=data["reason"]
                )
        except DomainError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            raise
        obj.pk = saved.pk

    def _decide(self, request, queryset, service, done):
        count = 0
        for adjustment in queryset:
            try:
                service(adjustment=adjustment, actor=request.user, note="console")
                count += 1
            except DomainError as exc:
                self.message_user(request, f"{adjustment}: {exc.detail}", messages.ERROR)
        if count:
            self.message_user(request, f"{count} correction(s) {done}.", messages.SUCCESS)

    @admin.action(description="Approve and post (second approver)", permissions=["approve"])
    def approve(self, request, queryset):
        self._decide(request, queryset, adjustments.adjustment_approve, "approved and posted")

    @admin.action(description="Reject", permissions=["approve"])
    def reject(self, request, queryset):
        self._decide(request, queryset, adjustments.adjustment_reject, "rejected")

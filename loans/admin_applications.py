"""The loan officers' console: the queue of applications awaiting a decision, an object
page with everything needed to decide, and the decision form (loans.services.decisions)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from blockscore.admin import ReadOnlyAdmin
from blockscore.exceptions import DomainError
from compliance.services.kyc import kyc_status
from loans.models import LoanApplication
from loans.services import DECLINE_REASONS, application_approve, application_decline
from loans.services.decisions import DECIDE_PERMISSION
from loans.services.quotes import product_schedule


class AwaitingDecisionFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("awaiting", "Awaiting decision"), ("second", "Awaiting a second approval")]

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.filter(status=LoanApplication.Status.REFERRED)
        if self.value() == "second":
            return queryset.filter(status=LoanApplication.Status.REFERRED, first_approved_by__isnull=False)
        return queryset


class OfficerDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve (as asked, or the counter-offer below)"), ("decline", "Decline")]
    )
    amount = forms.DecimalField(required=False, help_text="Counter-offer: a smaller amount (empty: as asked).")
    term = forms.IntegerField(required=False, min_value=1, help_text="Counter-offer: another number of installments.")
    reasons = forms.MultipleChoiceField(
        choices=list(DECLINE_REASONS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For a decline: the reasons the customer is told.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=1000)


@admin.register(LoanApplication)
class LoanApplicationAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "applicant", "product", "amount_display", "term", "status", "score_display"]
    list_filter = [AwaitingDecisionFilter, "status", "product"]
    search_fields = ["=public_id", "applicant__email"]
    list_select_related = ["applicant", "product", "score"]
    change_form_template = "admin/loans/loanapplication/change_form.html"
    fields = [
        "public_id",
        "applicant",
        "product",
        "amount_display",
        "term",
        "purpose",
        "monthly_income_display",
        "monthly_expenses_display",
        "status",
        "score_display",
        "submitted_at",
        "approved_amount_display",
        "approved_term",
        "first_approved_by",
        "first_approved_at",
        "decided_by",
        "decided_at",
        "decline_reasons",
        "decision_note",
    ]
    readonly_fields = fields

    @admin.display(description="amount")
    def amount_display(self, application):
        return f"{application.amount} {application.currency}"

    @admin.display(description="approved amount")
    def approved_amount_display(self, application):
        approved = application.approved_amount
        return "" if approved is None else f"{approved} {application.currency}"

    @admin.display(description="monthly income")
    def monthly_income_display(self, application):
        return f"{application.monthly_income} {application.currency}"

    @admin.display(description="monthly expenses")
    def monthly_expenses_display(self, application):
        return f"{application.monthly_expenses} {application.currency}"

    @admin.display(description="score")
    def score_display(self, application):
        return "" if application.score is None else f"{application.score.score} ({application.score.band})"

    def get_urls(self):
        return [
            path(
                "<int:application_pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="loans_loanapplication_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, application_pk):
        application = get_object_or_404(LoanApplication, pk=application_pk)
        change_url = reverse("admin:loans_loanapplication_change", args=[application.pk])
        if request.method != "POST" or not request.user.has_perm(DECIDE_PERMISSION):
            raise DjangoPermissionDenied("Deciding loan applications needs the loan officer role.")
        form = OfficerDecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, f"Decision not recorded: {form.errors.as_text()}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                application = application_approve(
                    application=application,
                    officer=request.user,
                    amount=data["amount"],
                    term=data["term"],
                    note=data["note"],
                )
            else:
                application = application_decline(
                    application=application, officer=request.user, reasons=data["reasons"], note=data["note"]
                )
        except DomainError as exc:
            self.message_user(request, f"Decision not recorded: {exc.detail}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        if application.status == LoanApplication.Status.REFERRED:
            message = "First approval recorded: a second loan officer must approve this amount."
        else:
            message = f"{application.applicant.email}: {application.get_status_display()}."
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:loans_loanapplication_changelist") + "?queue=awaiting")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        application = self.get_object(request, object_id)
        extra = extra_context or {}
        if application is not None:
            extra.update(
                kyc=kyc_status(application.applicant),
                screening_cases=application.applicant.compliance_cases.filter(kind="screening").order_by("-opened_at"),
                score=application.score,
                decision=application.decision,
                schedule=product_schedule(
                    application.product,
                    amount=application.approved_amount or application.amount,
                    term=application.approved_term or application.term,
                    start=(application.submitted_at or application.created_at).date(),
                ),
                decision_form=OfficerDecisionForm(),
                decide_url=reverse("admin:loans_loanapplication_decide", args=[application.pk]),
                own_application=application.applicant_id == request.user.pk,
                can_decide=request.user.has_perm(DECIDE_PERMISSION)
                and application.status == LoanApplication.Status.REFERRED
                and application.applicant_id != request.user.pk
                and application.first_approved_by_id != request.user.pk,
                awaiting_second=application.first_approved_by_id is not None,
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

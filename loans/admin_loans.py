"""The loans console: loans by status, bucket and days past due; a loan's page with its
schedule, payments and figures; recording a repayment received outside the platform;
write-off proposed by one loan officer and approved by another (loans.services)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from blockscore import money
from blockscore.admin import ReadOnlyAdmin
from blockscore.exceptions import DomainError
from loans.models import Loan, Repayment, ServicingRun
from loans.services import repayment_make, write_off_approve, write_off_propose, write_off_reject
from loans.services.repayments import amount_due_minor, payoff_minor
from wallets.services.ledger import ledger_day

RECORD_PERMISSION = "loans.record_repayment"
WRITE_OFF_PERMISSION = "loans.write_off_loan"


class ExternalRepaymentForm(forms.Form):
    amount = forms.DecimalField(min_value=0, help_text="As received, in the loan's currency.")
    received_on = forms.DateField(help_text="Value date: the day the money arrived (YYYY-MM-DD).")
    reference = forms.CharField(max_length=80, help_text="The bank transfer's reference: it is recorded once.")
    note = forms.CharField(max_length=280, required=False)


class WriteOffForm(forms.Form):
    decision = forms.ChoiceField(choices=[("propose", "Propose"), ("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(max_length=280, required=False, help_text="Why (for a proposal or a rejection).")


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = [
        "disbursed_at",
        "borrower",
        "product",
        "principal_display",
        "outstanding_display",
        "status",
        "days_past_due",
        "bucket",
    ]
    list_filter = ["status", "bucket", "product", "currency"]
    search_fields = ["=public_id", "borrower__email"]
    list_select_related = ["borrower", "product"]
    change_form_template = "admin/loans/loan/change_form.html"
    fields = [
        "public_id",
        "borrower",
        "product",
        "principal_display",
        "origination_fee_minor",
        "term",
        "annual_rate_percent",
        "apr_percent",
        "start_date",
        "status",
        "outstanding_display",
        "interest_accrued_minor",
        "interest_paid_minor",
        "fees_charged_minor",
        "fees_paid_minor",
        "accrued_through",
        "serviced_on",
        "days_past_due",
        "bucket",
        "closed_on",
        "write_off_proposed_by",
        "write_off_proposed_at",
        "write_off_reason",
        "written_off_by",
    ]
    readonly_fields = fields

    @admin.display(description="principal")
    def principal_display(self, loan):
        return f"{money.format_amount(loan.principal, loan.currency)} {loan.currency}"

    @admin.display(description="outstanding principal")
    def outstanding_display(self, loan):
        return f"{money.format_amount(loan.principal_outstanding, loan.currency)} {loan.currency}"

    def get_urls(self):
        return [
            path("<int:loan_pk>/repay/", self.admin_site.admin_view(self.repay_view), name="loans_loan_repay"),
            path(
                "<int:loan_pk>/write-off/", self.admin_site.admin_view(self.write_off_view), name="loans_loan_write_off"
            ),
            *super().get_urls(),
        ]

    def _change_url(self, loan):
        return HttpResponseRedirect(reverse("admin:loans_loan_change", args=[loan.pk]))

    def repay_view(self, request, loan_pk):
        loan = get_object_or_404(Loan, pk=loan_pk)
        if request.method != "POST" or not request.user.has_perm(RECORD_PERMISSION):
            raise DjangoPermissionDenied("Recording repayments needs the loan officer or operations role.")
        form = ExternalRepaymentForm(request.POST)
        if not form.is_valid():
            self.message_user(request, f"Repayment not recorded: {form.errors.as_text()}", messages.ERROR)
            return self._change_url(loan)
        data = form.cleaned_data
        try:
            repayment = repayment_make(
                loan=loan,
                amount=data["amount"],
                source=Repayment.Source.EXTERNAL,
                actor=request.user,
                received_on=data["received_on"],
                reference=data["reference"],
                note=data["note"],
            )
        except DomainError as exc:
            self.message_user(request, f"Repayment not recorded: {exc.detail}", messages.ERROR)
            return self._change_url(loan)
        amount = money.format_amount(money.from_minor_units(repayment.amount_minor, loan.currency), loan.currency)
        self.message_user(request, f"Repayment of {amount} {loan.currency} recorded.", messages.SUCCESS)
        return self._change_url(loan)

    def write_off_view(self, request, loan_pk):
        loan = get_object_or_404(Loan, pk=loan_pk)
        if request.method != "POST" or not request.user.has_perm(WRITE_OFF_PERMISSION):
            raise DjangoPermissionDenied("Write-offs need the loan officer role.")
        form = WriteOffForm(request.POST)
        if not form.is_valid():
            self.message_user(request, f"Nothing done: {form.errors.as_text()}", messages.ERROR)
            return self._change_url(loan)
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
        try:
            if decision == "propose":
                write_off_propose(loan=loan, actor=request.user, reason=reason)
                message = "Write-off proposed: another loan officer must approve it."
            elif decision == "approve":
                write_off_approve(loan=loan, actor=request.user)
                message = "The loan is written off."
            else:
                write_off_reject(loan=loan, actor=request.user, note=reason)
                message = "The write-off proposal is rejected."
        except DomainError as exc:
            self.message_user(request, f"Nothing done: {exc.detail}", messages.ERROR)
            return self._change_url(loan)
        self.message_user(request, message, messages.SUCCESS)
        return self._change_url(loan)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        loan = self.get_object(request, object_id)
        extra = extra_context or {}
        if loan is not None:
            rows = list(loan.installments.order_by("number"))
            today = ledger_day()
            as_money = lambda minor: money.format_amount(money.from_minor_units(minor, loan.currency), loan.currency)  # noqa: E731
            extra.update(
                currency=loan.currency,
                installments=[
                    {
                        "number": row.number,
                        "due_date": row.due_date,
                        "principal": as_money(row.principal_minor),
                        "interest": as_money(row.interest_minor),
                        "paid": as_money(row.principal_paid_minor + row.interest_paid_minor),
                        "late_fee": as_money(row.late_fee_minor),
                        "paid_on": row.paid_on,
                        "overdue": row.paid_on is None and row.due_date < today,
                    }
                    for row in rows
                ],
                repayments=[
                    {
                        "received_on": repayment.received_on,
                        "source": repayment.get_source_display(),
                        "amount": as_money(repayment.amount_minor),
                        "fees": as_money(repayment.fees_minor),
                        "interest": as_money(repayment.interest_minor),
                        "principal": as_money(repayment.principal_minor),
                        "reference": repayment.reference,
                        "recorded_by": repayment.recorded_by,
                    }
                    for repayment in loan.repayments.select_related("recorded_by")
                ],
                amount_due=as_money(amount_due_minor(rows, today)) if loan.is_open else None,
                payoff=as_money(payoff_minor(rows, today)) if loan.is_open else None,
                can_record=loan.is_open and request.user.has_perm(RECORD_PERMISSION),
                repay_url=reverse("admin:loans_loan_repay", args=[loan.pk]),
                repayment_form=ExternalRepaymentForm(initial={"received_on": today}),
                can_propose=loan.is_open
                and loan.write_off_proposed_by_id is None
                and request.user.has_perm(WRITE_OFF_PERMISSION),
                can_decide_write_off=loan.is_open
                and loan.write_off_proposed_by_id not in (None, request.user.pk)
                and request.user.has_perm(WRITE_OFF_PERMISSION),
                own_proposal=loan.is_open and loan.write_off_proposed_by_id == request.user.pk,
                write_off_url=reverse("admin:loans_loan_write_off", args=[loan.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)


@admin.register(ServicingRun)
class ServicingRunAdmin(ReadOnlyAdmin):
    list_display = [
        "day",
        "loans_serviced",
        "interest_accrued",
        "late_fees",
        "late_fees_charged",
        "defaulted",
        "reminders",
        "started_at",
        "finished_at",
    ]

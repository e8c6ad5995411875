"""Staff console for cases, monitoring rules and alerts, risk ratings and screening hits.

The case queue shows open and investigating cases first, oldest first, with their age;
the case page shows the subject (with their risk rating), the linked hits and alerts with
what they saw, the notes, and the actions, each of which calls a service in
compliance.services.cases (audited there). Monitoring rules are edited here: saving makes
a new version (compliance.services.monitoring.monitoring_rule_change)."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models as db
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone

from blockscore.admin import ReadOnlyAdmin
from blockscore.exceptions import DomainError
from compliance.models import Case, CustomerRisk, MonitoringAlert, MonitoringRule, ScreeningHit
from compliance.services import cases as case_services
from compliance.services.monitoring import monitoring_rule_change


def _age(since) -> str:
    hours = (timezone.now() - since).total_seconds() / 3600
    return f"{hours / 24:.1f} d" if hours >= 24 else f"{hours:.1f} h"


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class DecisionForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False)


ACTIONS = {
    "assign": "Assign to me",
    "investigate": "Start investigating",
    "close_false_positive": "Close as false positive",
    "close_confirmed": "Close as confirmed (freeze wallets)",
    "escalate": "Escalate (SAR report)",
}


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "age", "subject", "kind", "status", "assigned_to", "summary"]
    list_filter = ["status", "kind", ("assigned_to", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=public_id", "subject__email", "summary"]
    list_select_related = ["subject", "assigned_to"]
    change_form_template = "admin/compliance/case/change_form.html"
    fields = [
        "public_id",
        "kind",
        "subject",
        "status",
        "summary",
        "assigned_to",
        "opened_at",
        "closed_at",
        "decided_by",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # Built here rather than by super(): the queue's ordering needs the annotation first.
        queryset = self.model._default_manager.get_queryset().annotate(
            queue_rank=db.Case(
                db.When(status__in=case_services.OPEN_STATES, then=db.Value(0)),
                default=db.Value(1),
                output_field=db.IntegerField(),
            )
        )
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["queue_rank", "opened_at", "id"]  # open and investigating first, oldest first

    @admin.display(description="Age")
    def age(self, obj):
        return _age(obj.opened_at) if obj.status in case_services.OPEN_STATES else "—"

    def has_decide_permission(self, request):
        return request.user.has_perm("compliance.decide_case")

    def get_urls(self):
        return [
            path("<int:case_pk>/act/", self.admin_site.admin_view(self.act_view), name="compliance_case_act"),
            path("<int:case_pk>/note/", self.admin_site.admin_view(self.note_view), name="compliance_case_note"),
            path(
                "<int:case_pk>/report.<str:fmt>",
                self.admin_site.admin_view(self.report_view),
                name="compliance_case_report",
            ),
            *super().get_urls(),
        ]

    def _back(self, case):
        return HttpResponseRedirect(reverse("admin:compliance_case_change", args=[case.pk]))

    def act_view(self, request, case_pk):
        case = get_object_or_404(Case, pk=case_pk)
        if request.method != "POST" or not self.has_decide_permission(request):
            raise DjangoPermissionDenied("Deciding cases needs the compliance officer role.")
        action = request.POST.get("action", "")
        form = DecisionForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        officer = request.user
        try:
            if action == "assign":
                case_services.case_assign(case=case, officer=officer)
            elif action == "investigate":
                case_services.case_investigate(case=case, officer=officer, note=note)
            elif action == "close_false_positive":
                case_services.case_close_false_positive(case=case, officer=officer, note=note)
            elif action == "close_confirmed":
                case_services.case_close_confirmed(case=case, officer=officer, note=note)
            elif action == "escalate":
                case_services.case_escalate(case=case, officer=officer, note=note)
            else:
                self.message_user(request, "Unknown action.", messages.ERROR)
                return self._back(case)
        except DomainError as exc:
            self.message_user(request, f"{ACTIONS[action]}: not done. {exc.detail}", messages.ERROR)
            return self._back(case)
        case.refresh_from_db()
        self.message_user(request, f"{ACTIONS[action]}: done. The case is {case.get_status_display()}.")
        return self._back(case)

    def note_view(self, request, case_pk):
        case = get_object_or_404(Case, pk=case_pk)
        if request.method != "POST" or not request.user.has_perm("compliance.add_casenote"):
            raise DjangoPermissionDenied("Adding notes needs the compliance officer role.")
        form = NoteForm(request.POST)
        try:
            if not form.is_valid():
                raise case_services.CaseNoteRequired()
            case_services.case_note_add(case=case, author=request.user, text=form.cleaned_data["text"])
        except DomainError as exc:
            self.message_user(request, f"Note not added: {exc.detail}", messages.ERROR)
            return self._back(case)
        self.message_user(request, "Note added.")
        return self._back(case)

    def report_view(self, request, case_pk, fmt):
        case = get_object_or_404(Case, pk=case_pk)
        if not self.has_decide_permission(request):
            raise DjangoPermissionDenied("Exporting reports needs the compliance officer role.")
        try:
            body = case_services.case_report_export(case=case, officer=request.user, fmt=fmt)
        except DomainError as exc:
            self.message_user(request, f"Report not exported: {exc.detail}", messages.ERROR)
            return self._back(case)
        content_type = "application/json" if fmt == "json" else "text/csv; charset=utf-8"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="case-{case.public_id}.{fmt}"'
        response["Cache-Control"] = "no-store, private"
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        extra = extra_context or {}
        if case is not None:
            own = case.subject_id == request.user.pk
            can_decide = self.has_decide_permission(request) and not own
            allowed = case_services.TRANSITIONS[case.status]
            buttons = []
            if can_decide:
                if case.status in case_services.OPEN_STATES and case.assigned_to_id != request.user.pk:
                    buttons.append(("assign", ACTIONS["assign"]))
                for action, status in (
                    ("investigate", Case.Status.INVESTIGATING),
                    ("close_false_positive", Case.Status.CLOSED_FALSE_POSITIVE),
                    ("close_confirmed", Case.Status.CLOSED_CONFIRMED),
                    ("escalate", Case.Status.ESCALATED),
                ):
                    if status in allowed:
                        buttons.append((action, ACTIONS[action]))
            alerts = [
                {
                    "alert": alert,
                    "summary": (alert.details or {}).get("summary", ""),
                    "details": json.dumps((alert.details or {}).get("findings", []), indent=1, default=str),
                }
                for alert in case.monitoring_alerts.select_related("rule", "entry").order_by("-created_at")
            ]
            hits = [
                {"hit": hit, "explanation": json.dumps(hit.explanation, indent=1, default=str)}
                for hit in case.hits.order_by("-score")
            ]
            extra.update(
                case_alerts=alerts,
                case_hits=hits,
                notes=case.notes.select_related("author").order_by("created_at", "id"),
                risk=CustomerRisk.objects.filter(user=case.subject).first(),
                own_account=own,
                buttons=buttons,
                can_note=request.user.has_perm("compliance.add_casenote") and not own,
                can_export=can_decide,
                act_url=reverse("admin:compliance_case_act", args=[case.pk]),
                note_url=reverse("admin:compliance_case_note", args=[case.pk]),
                report_json_url=reverse("admin:compliance_case_report", args=[case.pk, "json"]),
                report_csv_url=reverse("admin:compliance_case_report", args=[case.pk, "csv"]),
                age=_age(case.opened_at),
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)


class MonitoringRuleForm(forms.ModelForm):
    parameters = forms.JSONField(
        widget=forms.Textarea(attrs={"rows": 16, "cols": 80}),
        help_text="Amounts are decimal strings in major units per currency. Saving makes a new version.",
    )

    class Meta:
        model = MonitoringRule
        fields = ["parameters", "description"]


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(admin.ModelAdmin):
    form = MonitoringRuleForm
    list_display = ["code", "version", "active", "description", "created_by", "created_at"]
    list_filter = ["active", "code"]
    readonly_fields = ["code", "version", "active", "created_by", "created_at"]
    fields = ["code", "version", "active", "parameters", "description", "created_by", "created_at"]
    actions = None

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def has_add_permission(self, request):
        return False  # rules are seeded; officers change their parameters

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = request.user.has_perm("compliance.change_monitoringrule")
        return allowed and (obj is None or obj.active)

    def save_model(self, request, obj, form, change):
        rule = MonitoringRule.objects.get(pk=obj.pk)
        try:
            request._new_rule = monitoring_rule_change(
                rule=rule,
                parameters=form.cleaned_data["parameters"],
                description=form.cleaned_data["description"],
                actor=request.user,
            )
        except DomainError as exc:
            request._rule_error = exc.detail

    def save_related(self, request, form, formsets, change):
        pass  # no relations; the new version is written by the service

    def log_change(self, request, obj, message):
        pass  # audited by monitoring_rule_change (monitoring.rule_changed)

    def response_change(self, request, obj):
        error = getattr(request, "_rule_error", None)
        if error:
            self.message_user(request, f"Not saved: {error}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:compliance_monitoringrule_change", args=[obj.pk]))
        new = request._new_rule
        self.message_user(request, f"{new.code}: version {new.version} is now active.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:compliance_monitoringrule_change", args=[new.pk]))


@admin.register(MonitoringAlert)
class MonitoringAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "rule", "user", "summary", "case"]
    list_filter = ["rule__code", "created_at"]
    search_fields = ["user__email"]
    list_select_related = ["rule", "user", "case"]
    fields = ["rule", "user", "entry", "case", "created_at", "details"]
    readonly_fields = fields

    @admin.display(description="What it saw")
    def summary(self, obj):
        return (obj.details or {}).get("summary", "")


@admin.register(CustomerRisk)
class CustomerRiskAdmin(ReadOnlyAdmin):
    list_display = ["user", "level", "score", "enhanced_due_diligence", "trigger", "updated_at", "factor_list"]
    list_filter = ["level", "enhanced_due_diligence"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ["user", "level", "score", "enhanced_due_diligence", "trigger", "updated_at", "factor_list"]
    readonly_fields = fields

    @admin.display(description="Factors")
    def factor_list(self, obj):
        return "; ".join(f"{f['factor']} +{f['points']}: {f['why']}" for f in obj.factors) or "none"


@admin.register(ScreeningHit)
class ScreeningHitAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "matched_name", "list_source", "list_id", "score", "status", "case"]
    list_filter = ["status", "list_source"]
    search_fields = ["user__email", "matched_name", "list_id"]
    list_select_related = ["user", "case"]
    fields = [
        "user",
        "matched_name",
        "list_source",
        "list_id",
        "score",
        "explanation",
        "status",
        "case",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    readonly_fields = fields

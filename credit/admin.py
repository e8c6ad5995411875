"""Staff console for credit: scoring models (metrics, fairness, activation), customers'
score history with reason codes, and survey question management."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from blockscore.admin import ReadOnlyAdmin
from blockscore.exceptions import DomainError
from credit.models import CreditScore, ScoringModel, SurveyAnswer, SurveyQuestion
from credit.services.survey import options_check, survey_question_save


def _table(rows: list[tuple]) -> str:
    return format_html(
        '<table class="credit-figures">{}</table>',
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
    )


def _figure(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict) and "mean" in value:
        spread = f" ± {value['std']:.3f}" if isinstance(value.get("std"), (int, float)) else ""
        return f"{value['mean']:.3f}{spread}"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


@admin.register(ScoringModel)
class ScoringModelAdmin(ReadOnlyAdmin):
    list_display = ["version", "status", "auc", "trained_at", "activated_at", "activated_by"]
    list_filter = ["status"]
    fields = [
        "version",
        "status",
        "artifact_path",
        "artifact_sha256",
        "training_data_sha256",
        "trained_at",
        "registered_at",
        "activated_at",
        "activated_by",
        "metrics_table",
        "fairness_table",
    ]
    readonly_fields = fields
    actions = ["activate"]

    @admin.display(description="CV AUC")
    def auc(self, obj):
        return _figure(obj.metrics.get("auc", "")) if isinstance(obj.metrics, dict) else ""

    @admin.display(description="Metrics (repeated stratified cross-validation)")
    def metrics_table(self, obj):
        return _table([(name, _figure(value)) for name, value in sorted((obj.metrics or {}).items())])

    @admin.display(description="Fairness (protected attributes, never model inputs)")
    def fairness_table(self, obj):
        return _table([(name, _figure(value)) for name, value in sorted((obj.fairness or {}).items())])

    @admin.action(description="Make the selected model the champion (scores customers)", permissions=["activate"])
    def activate(self, request, queryset):
        from credit.services.registry import model_activate

        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model to activate.", messages.ERROR)
            return
        model = queryset.get()
        try:
            model_activate(model=model, actor=request.user)
        except DomainError as exc:
            self.message_user(request, f"{model.version}: {exc.detail}", messages.ERROR)
            return
        self.message_user(request, f"{model.version} is now the champion.", messages.SUCCESS)

    def has_activate_permission(self, request):
        return request.user.has_perm("credit.activate_scoringmodel")


@admin.register(CreditScore)
class CreditScoreAdmin(ReadOnlyAdmin):
    list_display = ["computed_at", "user", "score", "band", "pd", "model", "trigger", "top_reason"]
    list_filter = ["band", "trigger", "model", "computed_at"]
    search_fields = ["user__email", "=public_id"]
    list_select_related = ["user", "model"]
    date_hierarchy = "computed_at"
    fields = [
        "public_id",
        "user",
        "score",
        "band",
        "pd",
        "model",
        "trigger",
        "computed_at",
        "reasons",
        "inputs_table",
        "inputs_hash",
    ]
    readonly_fields = fields

    @admin.display(description="Top reason")
    def top_reason(self, obj):
        return obj.reason_codes[0]["code"] if obj.reason_codes else ""

    @admin.display(description="Reason codes (costliest first)")
    def reasons(self, obj):
        return _table([(f"{r['code']} (−{r['points_lost']})", f"{r['text']} — {r['hint']}") for r in obj.reason_codes])

    @admin.display(description="Inputs and their source")
    def inputs_table(self, obj):
        return _table([(name, f"{item['value']} ({item['source']})") for name, item in sorted(obj.inputs.items())])


class SurveyQuestionForm(forms.ModelForm):
    class Meta:
        model = SurveyQuestion
        fields = [
            "key",
            "text",
            "help_text",
            "answer_type",
            "options",
            "min_value",
            "max_value",
            "feature",
            "position",
            "active",
        ]

    def clean(self):
        data = super().clean()
        try:
            options_check(data.get("answer_type"), data.get("options"))
        except DomainError as exc:
            raise forms.ValidationError({"options": exc.detail}) from exc
        return data


@admin.register(SurveyQuestion)
class SurveyQuestionAdmin(admin.ModelAdmin):
    form = SurveyQuestionForm
    list_display = ["key", "version", "text", "answer_type", "feature", "active", "position"]
    list_filter = ["active", "answer_type"]
    search_fields = ["key", "text", "feature"]
    readonly_fields = ["version", "created_at"]
    ordering = ["position", "key", "-version"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "key"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        survey_question_save(question=obj, actor=request.user)  # versions and audits

    def has_delete_permission(self, request, obj=None):
        return False  # answers refer to questions: deactivate instead


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdmin):
    list_display = ["answered_at", "user", "key", "value", "question", "superseded_at"]
    list_filter = ["key", "answered_at"]
    search_fields = ["user__email", "key"]
    list_select_related = ["user", "question"]

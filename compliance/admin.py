"""Staff console for compliance: the KYC review queue (documents shown through an
authorised view, the customer's screening hits on the same page, decisions audited)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone

from blockscore.admin import ReadOnlyAdmin
from blockscore.exceptions import DomainError
from compliance.models import KycDocument, KycSubmission
from compliance.services import kyc


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("approve", "Approve"),
            ("reject", "Reject"),
            ("resubmit", "Request resubmission"),
        ]
    )
    rejection_reason = forms.ChoiceField(choices=[("", "—"), *KycSubmission.RejectionReason.choices], required=False)
    documents = forms.MultipleChoiceField(
        choices=KycDocument.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For a resubmission: which documents to send again.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=500)


@admin.register(KycSubmission)
class KycSubmissionAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "age", "legal_name", "user", "status", "document_type", "assigned_to", "revision"]
    list_filter = ["status", "document_type", "submitted_at"]
    search_fields = ["legal_name", "user__email", "=public_id"]
    list_select_related = ["user", "assigned_to"]
    ordering = ["submitted_at", "id"]  # the queue: oldest first
    change_form_template = "admin/compliance/kycsubmission/change_form.html"
    actions = ["assign_to_me"]
    fields = [
        "public_id",
        "user",
        "status",
        "legal_name",
        "date_of_birth",
        "nationality",
        "address_line",
        "city",
        "postal_code",
        "country",
        "document_type",
        "document_number",
        "submitted_at",
        "revision",
        "assigned_to",
        "assigned_at",
        "decided_by",
        "decided_at",
        "rejection_reason",
        "note",
        "resubmit_documents",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            if "status__exact" not in request.GET:  # the queue by default: what awaits review
                queryset = queryset.filter(status__in=[KycSubmission.Status.PENDING, KycSubmission.Status.IN_REVIEW])
        return queryset

    @admin.display(description="Waiting")
    def age(self, obj):
        if obj.status not in (KycSubmission.Status.PENDING, KycSubmission.Status.IN_REVIEW):
            return "—"
        hours = (timezone.now() - obj.submitted_at).total_seconds() / 3600
        return f"{hours / 24:.1f} d" if hours >= 24 else f"{hours:.1f} h"

    @admin.action(description="Assign to me", permissions=["review"])
    def assign_to_me(self, request, queryset):
        done = 0
        for submission in queryset:
            try:
                kyc.kyc_assign(submission=submission, officer=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{submission}: {exc.detail}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} submission(s) assigned to you.", messages.SUCCESS)

    def has_review_permission(self, request):
        return request.user.has_perm("compliance.review_kycsubmission")

    def get_urls(self):
        return [
            path(
                "<int:submission_pk>/document/<int:document_pk>/",
                self.admin_site.admin_view(self.document_view),
                name="compliance_kycsubmission_document",
            ),
            path(
                "<int:submission_pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="compliance_kycsubmission_decide",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request, submission_pk, document_pk):
        """The decrypted document, for staff who may view KYC documents; audited."""
        document = get_object_or_404(KycDocument, pk=document_pk, submission_id=submission_pk)
        try:
            data = kyc.kyc_document_read(document=document, officer=request.user)
        except DomainError as exc:
            raise DjangoPermissionDenied(exc.detail) from exc
        response = HttpResponse(data, content_type=document.content_type)
        response["Content-Disposition"] = f'inline; filename="{document.kind}-r{document.revision}"'
        response["Cache-Control"] = "no-store, private"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
        return response

    def decide_view(self, request, submission_pk):
        submission = get_object_or_404(KycSubmission, pk=submission_pk)
        change_url = reverse("admin:compliance_kycsubmission_change", args=[submission.pk])
        if request.method != "POST" or not self.has_review_permission(request):
            raise DjangoPermissionDenied("Reviewing KYC needs the compliance officer role.")
        form = DecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, f"Decision not recorded: {form.errors.as_text()}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                kyc.kyc_approve(submission=submission, officer=request.user, note=data["note"])
            elif data["decision"] == "reject":
                kyc.kyc_reject(
                    submission=submission, officer=request.user, reason=data["rejection_reason"], note=data["note"]
                )
            else:
                kyc.kyc_request_resubmission(
                    submission=submission, officer=request.user, documents=data["documents"], note=data["note"]
                )
        except DomainError as exc:
            self.message_user(request, f"Decision not recorded: {exc.detail}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        submission.refresh_from_db()
        self.message_user(request, f"{submission.legal_name}: {submission.get_status_display()}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:compliance_kycsubmission_changelist"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        submission = self.get_object(request, object_id)
        extra = extra_context or {}
        if submission is not None:
            documents = [d for d in submission.documents.order_by("kind", "-revision") if d.superseded_at is None]
            extra.update(
                documents=[
                    {
                        "document": document,
                        "url": reverse("admin:compliance_kycsubmission_document", args=[submission.pk, document.pk]),
                        "is_image": document.content_type.startswith("image/"),
                    }
                    for document in documents
                ],
                hits=_screening_hits(submission.user),
                decision_form=DecisionForm(),
                decide_url=reverse("admin:compliance_kycsubmission_decide", args=[submission.pk]),
                can_decide=self.has_review_permission(request)
                and submission.status in (KycSubmission.Status.PENDING, KycSubmission.Status.IN_REVIEW)
                and submission.user_id != request.user.pk,
                own_account=submission.user_id == request.user.pk,
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)


def _screening_hits(user) -> list:
    from compliance.models import ScreeningHit

    return list(ScreeningHit.objects.filter(user=user).select_related("entry").order_by("-created_at")[:20])


# Console pages kept in their own modules, registered on import.
from compliance import admin_cases  # noqa: E402,F401

from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from blockscore.api.serializers import StrictSerializer
from compliance.models import KycDocument, KycSubmission


class KycSubmissionInput(StrictSerializer):
    legal_name = serializers.CharField(max_length=200, help_text="As on the ID document.")
    date_of_birth = serializers.DateField()
    nationality = CountryField(help_text="ISO 3166-1 alpha-2, e.g. GH.")
    address_line = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    country = CountryField(help_text="Country of residence, ISO 3166-1 alpha-2.")
    document_type = serializers.ChoiceField(choices=KycSubmission.DocumentType.choices)
    document_number = serializers.RegexField(r"^[A-Za-z0-9 -]{4,30}$", help_text="As printed on the document.")
    document_front = serializers.FileField(help_text="JPEG, PNG or PDF.")
    document_back = serializers.FileField(required=False, help_text="National ID and driver licence only.")
    selfie = serializers.FileField(help_text="JPEG or PNG of your face.")

    def uploads(self) -> dict:
        names = {"document_front": "front", "document_back": "back", "selfie": "selfie"}
        return {kind: self.validated_data[field] for field, kind in names.items() if field in self.validated_data}


class KycResubmitInput(StrictSerializer):
    document_front = serializers.FileField(required=False)
    document_back = serializers.FileField(required=False)
    selfie = serializers.FileField(required=False)

    def uploads(self) -> dict:
        names = {"document_front": "front", "document_back": "back", "selfie": "selfie"}
        return {kind: self.validated_data[field] for field, kind in names.items() if field in self.validated_data}


class KycDocumentOutput(serializers.ModelSerializer):
    class Meta:
        model = KycDocument
        fields = ["kind", "content_type", "size", "revision", "uploaded_at"]


class KycSubmissionOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    status_label = serializers.CharField(source="get_status_display")
    rejection_reason_label = serializers.CharField(source="get_rejection_reason_display")
    documents = serializers.SerializerMethodField()
    document_number = serializers.SerializerMethodField(help_text="Only the last four characters.")

    class Meta:
        model = KycSubmission
        fields = [
            "id",
            "status",
            "status_label",
            "legal_name",
            "nationality",
            "country",
            "document_type",
            "document_number",
            "submitted_at",
            "decided_at",
            "rejection_reason",
            "rejection_reason_label",
            "note",
            "resubmit_documents",
            "revision",
            "documents",
        ]

    def get_documents(self, submission) -> KycDocumentOutput(many=True):
        current = [d for d in submission.documents.all() if d.superseded_at is None]
        return KycDocumentOutput(current, many=True).data

    def get_document_number(self, submission) -> str:
        return "…" + submission.document_number[-4:]


class KycStatusOutput(serializers.Serializer):
    status = serializers.CharField(
        help_text="not_started, pending, in_review, approved, rejected, resubmission_requested."
    )
    verified = serializers.BooleanField(help_text="Approved: standard limits apply.")
    submission = KycSubmissionOutput(allow_null=True)

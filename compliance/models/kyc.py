"""KYC: what a customer submitted to prove who they are, and the officer's decision.

The ID document number and the date of birth are encrypted at field level, and the
document images at rest (compliance.crypto); files live under generated names outside
any public folder and are served to staff only through the console.
"""

import uuid

from django.conf import settings
from django.db import models

from compliance.crypto import EncryptedTextField


class KycSubmission(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RESUBMISSION_REQUESTED = "resubmission_requested", "Resubmission requested"

    class DocumentType(models.TextChoices):
        PASSPORT = "passport", "Passport"
        NATIONAL_ID = "national_id", "National ID card"
        DRIVER_LICENCE = "driver_licence", "Driver licence"

    class RejectionReason(models.TextChoices):
        DOCUMENT_UNREADABLE = "document_unreadable", "The document cannot be read"
        DOCUMENT_EXPIRED = "document_expired", "The document has expired"
        DATA_MISMATCH = "data_mismatch", "The details do not match the document"
        SELFIE_MISMATCH = "selfie_mismatch", "The selfie does not match the document"
        SUSPECTED_FRAUD = "suspected_fraud", "The document appears altered or not genuine"
        SANCTIONS = "sanctions", "We cannot offer our services to this person"
        UNDERAGE = "underage", "The customer is under 18"
        OTHER = "other", "Another reason (see the note)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kyc_submissions")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING, db_index=True)
    legal_name = models.CharField(max_length=200)
    date_of_birth = EncryptedTextField(help_text="ISO date, encrypted.")
    nationality = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2.")
    address_line = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, of residence.")
    document_type = models.CharField(max_length=16, choices=DocumentType.choices)
    document_number = EncryptedTextField(help_text="Encrypted.")
    submitted_at = models.DateTimeField(db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=24, choices=RejectionReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True, help_text="Shown to the customer with the decision.")
    resubmit_documents = models.JSONField(default=list, blank=True, help_text="Document kinds to send again.")
    revision = models.PositiveSmallIntegerField(default=1, help_text="1, then +1 per resubmission.")

    class Meta:
        ordering = ["submitted_at", "id"]
        permissions = [("review_kycsubmission", "Can review KYC submissions")]
        constraints = [
            # One submission in flight per customer.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=["pending", "in_review", "resubmission_requested"]),
                name="compliance_one_open_kyc",
            )
        ]

    def __str__(self) -> str:
        return f"KYC {self.legal_name} ({self.get_status_display()})"


class KycDocument(models.Model):
    class Kind(models.TextChoices):
        FRONT = "front", "Document front"
        BACK = "back", "Document back"
        SELFIE = "selfie", "Selfie"

    submission = models.ForeignKey(KycSubmission, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    stored_name = models.CharField(max_length=80, unique=True, help_text="Generated; never the uploaded name.")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(help_text="Bytes, before encryption.")
    sha256 = models.CharField(max_length=64, help_text="Of the plain content.")
    revision = models.PositiveSmallIntegerField(default=1)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "kind", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "kind"],
                condition=models.Q(superseded_at__isnull=True),
                name="compliance_one_current_document",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} r{self.revision} of {self.submission_id}"

"""Test helpers for compliance."""

from datetime import date

from django.utils import timezone

from compliance.models import KycSubmission


def kyc_approved(user, *, legal_name: str | None = None) -> KycSubmission:
    """An approved KYC submission for ``user`` (no documents), as if an officer had approved it:
    the customer then has the standard limits instead of KYC_UNVERIFIED_LIMITS."""
    now = timezone.now()
    return KycSubmission.objects.create(
        user=user,
        status=KycSubmission.Status.APPROVED,
        legal_name=legal_name or f"{user.first_name or 'Test'} {user.last_name or 'Customer'}",
        date_of_birth=date(1985, 6, 15).isoformat(),
        nationality="GB",
        address_line="1 Test Street",
        city="London",
        country="GB",
        document_type=KycSubmission.DocumentType.PASSPORT,
        document_number="123456789",
        submitted_at=now,
        decided_at=now,
    )

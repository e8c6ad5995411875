"""KYC: customers submit, compliance officers review.

    (no submission) "not started"
      --submit--> pending --assign--> in review --approve--> approved
                                               --reject (reason, note)--> rejected
                                               --request resubmission (documents, note)--> resubmission requested
      resubmission requested --resubmit (those documents)--> pending ...
    rejected / approved: a customer may start a new submission after a rejection.

Every step is audited; decisions are e-mailed to the customer after commit. An officer
never reviews their own account. A submission (and a change of name or date of birth on
resubmission) is screened against the sanctions lists.
"""

import logging
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_event_record
from blockscore.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from blockscore.queue import enqueue
from compliance.kyc import files
from compliance.models import KycDocument, KycSubmission

logger = logging.getLogger(__name__)

OPEN_STATUSES = (
    KycSubmission.Status.PENDING,
    KycSubmission.Status.IN_REVIEW,
    KycSubmission.Status.RESUBMISSION_REQUESTED,
)
REQUIRED_DOCUMENTS = {
    KycSubmission.DocumentType.PASSPORT: ("front", "selfie"),
    KycSubmission.DocumentType.NATIONAL_ID: ("front", "back", "selfie"),
    KycSubmission.DocumentType.DRIVER_LICENCE: ("front", "back", "selfie"),
}
MINIMUM_AGE = 18


class KycInProgress(Conflict):
    code = "kyc_in_progress"
    default_detail = "You already have a KYC submission in progress."


class KycAlreadyApproved(Conflict):
    code = "kyc_already_approved"
    default_detail = "Your identity is already verified."


class OwnAccount(PermissionDenied):
    code = "cannot_review_own_account"
    default_detail = "You cannot review your own account's KYC."


class InvalidKycState(Conflict):
    code = "invalid_state"
    default_detail = "The submission is not in a state that allows that."


def kyc_status(user) -> dict:
    """What the customer sees: status, and the reasons when something is asked of them."""
    latest = KycSubmission.objects.filter(user=user).order_by("-submitted_at", "-id").first()
    if latest is None:
        return {"status": "not_started", "submission": None}
    return {"status": latest.status, "submission": latest}


def is_verified(user) -> bool:
    return KycSubmission.objects.filter(user=user, status=KycSubmission.Status.APPROVED).exists()


def _audit(action: str, submission: KycSubmission, actor, **metadata) -> None:
    audit_event_record(
        action=action,
        actor=actor,
        target=submission,
        metadata={"status": submission.status, "revision": submission.revision, **metadata},
    )


def _check_documents(document_type: str, uploads: dict, *, required) -> dict:
    missing = [kind for kind in required if kind not in uploads]
    if missing:
        raise ValidationFailed(
            f"Missing document(s): {', '.join(missing)}.", code="kyc_documents_missing", extra={"missing": missing}
        )
    unexpected = [kind for kind in uploads if kind not in REQUIRED_DOCUMENTS[document_type]]
    if unexpected:
        raise ValidationFailed(
            f"Not needed for a {KycSubmission.DocumentType(document_type).label}: {', '.join(unexpected)}.",
            code="kyc_documents_unexpected",
            extra={"unexpected": unexpected},
        )
    # Read and check every file before anything is written.
    return {kind: files.read_upload(upload, field=f"document_{kind}") for kind, upload in uploads.items()}


def _validate_person(*, legal_name: str, date_of_birth: date) -> None:
    today = timezone.localdate()
    if date_of_birth > today:
        raise ValidationFailed("The date of birth is in the future.", code="invalid_date_of_birth")
    age = today.year - date_of_birth.year - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
    if age < MINIMUM_AGE:
        raise ValidationFailed(f"You must be at least {MINIMUM_AGE}.", code="underage")
    if age > 120:
        raise ValidationFailed("The date of birth is not plausible.", code="invalid_date_of_birth")
    if len(legal_name.split()) < 2:
        raise ValidationFailed("Give your full legal name (first and last name).", code="invalid_legal_name")


def kyc_submit(*, user, data: dict, uploads: dict) -> KycSubmission:
    """A customer's submission with its documents (``uploads``: kind → uploaded file)."""
    if user.is_staff:
        raise PermissionDenied("Staff accounts are not verified through customer KYC.", code="staff_account")
    _validate_person(legal_name=data["legal_name"], date_of_birth=data["date_of_birth"])
    checked = _check_documents(data["document_type"], uploads, required=REQUIRED_DOCUMENTS[data["document_type"]])
    written: list[str] = []
    try:
        with transaction.atomic():
            if KycSubmission.objects.filter(user=user, status__in=OPEN_STATUSES).exists():
                raise KycInProgress()
            if is_verified(user):
                raise KycAlreadyApproved()
            try:
                with transaction.atomic():
                    submission = KycSubmission.objects.create(
                        user=user,
                        submitted_at=timezone.now(),
                        legal_name=data["legal_name"],
                        date_of_birth=data["date_of_birth"].isoformat(),
                        nationality=data["nationality"],
                        address_line=data["address_line"],
                        city=data["city"],
                        postal_code=data.get("postal_code", ""),
                        country=data["country"],
                        document_type=data["document_type"],
                        document_number=data["document_number"],
                    )
            except IntegrityError as exc:  # a concurrent submission won the one-open-per-customer constraint
                raise KycInProgress() from exc
            documents = _write(submission, checked, revision=1, written=written)
            _audit("kyc.submitted", submission, user, documents=[d.kind for d in documents])
            _screen_after_commit(submission)
    except BaseException:
        for name in written:
            files.remove(name)
        raise
    return submission


def _write(submission: KycSubmission, checked: dict, *, revision: int, written: list[str]) -> list[KycDocument]:
    documents = []
    for kind, (data, content_type) in checked.items():
        stored = files.store(data, content_type)
        written.append(stored.stored_name)
        documents.append(
            KycDocument(
                submission=submission,
                kind=kind,
                stored_name=stored.stored_name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                revision=revision,
            )
        )
    KycDocument.objects.bulk_create(documents)
    return documents


def kyc_resubmit(*, user, submission_id, uploads: dict) -> KycSubmission:
    """Send again the documents an officer asked for; back to pending."""
    checked_kinds = list(uploads)
    written: list[str] = []
    try:
        with transaction.atomic():
            submission = KycSubmission.objects.select_for_update().filter(user=user, public_id=submission_id).first()
            if submission is None:
                raise NotFound("No such KYC submission.")
            if submission.status != KycSubmission.Status.RESUBMISSION_REQUESTED:
                raise InvalidKycState("Nothing was asked to be sent again for this submission.")
            asked = list(submission.resubmit_documents)
            if sorted(checked_kinds) != sorted(asked):
                raise ValidationFailed(
                    f"Send exactly the requested document(s): {', '.join(asked)}.",
                    code="kyc_documents_mismatch",
                    extra={"requested": asked},
                )
            checked = _check_documents(submission.document_type, uploads, required=asked)
            now = timezone.now()
            KycDocument.objects.filter(submission=submission, kind__in=asked, superseded_at__isnull=True).update(
                superseded_at=now
            )
            submission.revision += 1
            _write(submission, checked, revision=submission.revision, written=written)
            submission.status = KycSubmission.Status.PENDING
            submission.submitted_at = now
            submission.assigned_to = None
            submission.assigned_at = None
            submission.resubmit_documents = []
            submission.save(
                update_fields=[
                    "revision",
                    "status",
                    "submitted_at",
                    "assigned_to",
                    "assigned_at",
                    "resubmit_documents",
                ]
            )
            _audit("kyc.resubmitted", submission, user, documents=asked)
    except BaseException:
        for name in written:
            files.remove(name)
        raise
    return submission


# --- the officer's side ------------------------------------------------------------------


def _locked_for_review(submission: KycSubmission, officer) -> KycSubmission:
    locked = KycSubmission.objects.select_for_update().get(pk=submission.pk)
    if locked.user_id == officer.pk:
        raise OwnAccount()
    if not officer.has_perm("compliance.review_kycsubmission"):
        raise PermissionDenied("Reviewing KYC needs the compliance officer role.")
    return locked


@transaction.atomic
def kyc_assign(*, submission: KycSubmission, officer) -> KycSubmission:
    """The officer takes the submission ("assign to me"): pending or in review → in review."""
    submission = _locked_for_review(submission, officer)
    if submission.status not in (KycSubmission.Status.PENDING, KycSubmission.Status.IN_REVIEW):
        raise InvalidKycState(f"It is {submission.get_status_display().lower()}.")
    before = submission.assigned_to_id
    submission.status = KycSubmission.Status.IN_REVIEW
    submission.assigned_to = officer
    submission.assigned_at = timezone.now()
    submission.save(update_fields=["status", "assigned_to", "assigned_at"])
    _audit("kyc.assigned", submission, officer, previous_assignee=before)
    return submission


def _decide(submission: KycSubmission, officer, *, status: str, note: str, action: str, **fields) -> KycSubmission:
    submission = _locked_for_review(submission, officer)
    if submission.status not in (KycSubmission.Status.PENDING, KycSubmission.Status.IN_REVIEW):
        raise InvalidKycState(f"It is {submission.get_status_display().lower()}.")
    before = submission.status
    submission.status = status
    submission.decided_by = officer
    submission.decided_at = timezone.now()
    submission.note = note[:500]
    submission.assigned_to = submission.assigned_to or officer
    for name, value in fields.items():
        setattr(submission, name, value)
    submission.save()
    _audit(action, submission, officer, before=before, note=note, **{k: v for k, v in fields.items() if v})
    enqueue("compliance.send_kyc_decision", submission.pk)
    enqueue("compliance.recalculate_risk", submission.user_id, "kyc_decision")
    return submission


@transaction.atomic
def kyc_approve(*, submission: KycSubmission, officer, note: str = "") -> KycSubmission:
    return _decide(
        submission,
        officer,
        status=KycSubmission.Status.APPROVED,
        note=note,
        action="kyc.approved",
        rejection_reason="",
        resubmit_documents=[],
    )


@transaction.atomic
def kyc_reject(*, submission: KycSubmission, officer, reason: str, note: str = "") -> KycSubmission:
    if reason not in KycSubmission.RejectionReason.values:
        raise ValidationFailed("Choose a rejection reason from the list.", code="invalid_rejection_reason")
    if reason == KycSubmission.RejectionReason.OTHER and not note.strip():
        raise ValidationFailed("Explain the rejection in the note.", code="note_required")
    return _decide(
        submission,
        officer,
        status=KycSubmission.Status.REJECTED,
        note=note,
        action="kyc.rejected",
        rejection_reason=reason,
        resubmit_documents=[],
    )


@transaction.atomic
def kyc_request_resubmission(*, submission: KycSubmission, officer, documents: list[str], note: str) -> KycSubmission:
    allowed = REQUIRED_DOCUMENTS[submission.document_type]
    documents = [kind for kind in allowed if kind in set(documents)]
    if not documents:
        raise ValidationFailed("Choose which document(s) to send again.", code="kyc_documents_missing")
    if not note.strip():
        raise ValidationFailed("Tell the customer what is wrong with the document(s).", code="note_required")
    return _decide(
        submission,
        officer,
        status=KycSubmission.Status.RESUBMISSION_REQUESTED,
        note=note,
        action="kyc.resubmission_requested",
        rejection_reason="",
        resubmit_documents=documents,
    )


def kyc_document_read(*, document: KycDocument, officer) -> bytes:
    """The plain bytes of a document, for an authorised officer; every read is audited."""
    if not (officer.is_staff and officer.has_perm("compliance.view_kycdocument")):
        raise PermissionDenied("Viewing KYC documents needs a compliance role.")
    data = files.load(document.stored_name)
    audit_event_record(
        action="kyc.document_viewed",
        actor=officer,
        target=document.submission,
        metadata={"document": document.kind, "revision": document.revision},
    )
    return data


DECISION_MAIL = {
    KycSubmission.Status.APPROVED: (
        "Your identity is verified",
        "Good news: we verified your identity. Your wallet limits are now the standard ones.",
    ),
    KycSubmission.Status.REJECTED: (
        "We could not verify your identity",
        "We could not verify your identity. Reason: {reason}.",
    ),
    KycSubmission.Status.RESUBMISSION_REQUESTED: (
        "Please send your documents again",
        "We need you to send again: {documents}.",
    ),
}


def kyc_decision_send(*, submission_id: int) -> bool:
    """E-mail the customer the decision (their KYC status is also in the API)."""
    submission = KycSubmission.objects.select_related("user").filter(pk=submission_id).first()
    if submission is None or submission.status not in DECISION_MAIL:
        return False
    subject, text = DECISION_MAIL[submission.status]
    body = text.format(
        reason=submission.get_rejection_reason_display(),
        documents=", ".join(KycDocument.Kind(kind).label.lower() for kind in submission.resubmit_documents),
    )
    if submission.note:
        body += f"\n\nNote from our compliance team: {submission.note}"
    send_mail(
        subject=f"BlockScore: {subject}",
        message=f"Hello {submission.legal_name.split()[0]},\n\n{body}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[submission.user.email],
    )
    return True


def _screen_after_commit(submission: KycSubmission) -> None:
    """Screen the submitted identity against the sanctions lists once it is committed."""
    enqueue("compliance.screen_kyc_submission", submission.pk)


# --- key rotation --------------------------------------------------------------------


def kyc_reencrypt(*, batch_size: int = 500) -> dict:
    """Rewrite every encrypted field and file with the newest key (after adding a key)."""
    from compliance import crypto

    counts = {"submissions": 0, "files": 0}
    for submission in KycSubmission.objects.order_by("pk").iterator(chunk_size=batch_size):
        # Reading decrypts with any key; saving encrypts with the first.
        submission.save(update_fields=["date_of_birth", "document_number"])
        counts["submissions"] += 1
    for document in KycDocument.objects.order_by("pk").iterator(chunk_size=batch_size):
        if files.reencrypt(document.stored_name):
            counts["files"] += 1
    audit_event_record(action="kyc.reencrypted", actor=None, metadata={**counts, "keys": len(crypto._keys())})
    return counts

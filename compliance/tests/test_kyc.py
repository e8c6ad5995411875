"""KYC through the API and the console: submission, files checked and encrypted, review,
decisions e-mailed, resubmission, tier limits, key rotation."""

import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEvent
from compliance.models import CustomerRisk, KycDocument, KycSubmission
from compliance.services import kyc
from conftest import client_for, console_for
from wallets.tests.factories import funded_wallet

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + b"JFIF-test-image-body" * 4
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 3


@pytest.fixture(autouse=True)
def kyc_storage(settings, tmp_path):
    settings.KYC_STORAGE_DIR = str(tmp_path / "kyc")
    settings.KYC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return Path(settings.KYC_STORAGE_DIR)


def files(**overrides):
    chosen = {
        "document_front": SimpleUploadedFile("front.png", PNG, content_type="image/png"),
        "document_back": SimpleUploadedFile("back.jpg", JPEG, content_type="image/jpeg"),
        "selfie": SimpleUploadedFile("me.jpg", JPEG, content_type="image/jpeg"),
    }
    chosen.update(overrides)
    return {name: upload for name, upload in chosen.items() if upload is not None}


def details(**overrides):
    return {
        "legal_name": "Amara Mensah",
        "date_of_birth": "1990-04-12",
        "nationality": "GH",
        "address_line": "12 Independence Ave",
        "city": "Accra",
        "postal_code": "GA-123",
        "country": "GH",
        "document_type": "national_id",
        "document_number": "GHA-123456789",
        **overrides,
    }


def submit(client, **overrides):
    body = {**details(), **files()}
    body.update(overrides)
    body = {key: value for key, value in body.items() if value is not None}
    return client.post("/api/v1/kyc/submissions", body, format="multipart")


def test_a_submission_is_pending_and_its_secrets_are_encrypted(user, kyc_storage):
    client = client_for(user)
    assert client.get("/api/v1/kyc/status").json()["status"] == "not_started"

    response = submit(client)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["document_number"] == "…6789"
    assert {d["kind"] for d in body["documents"]} == {"front", "back", "selfie"}
    status = client.get("/api/v1/kyc/status").json()
    assert status["status"] == "pending" and status["verified"] is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT document_number, date_of_birth FROM compliance_kycsubmission")
        stored_number, stored_dob = cursor.fetchone()
    assert "123456789" not in stored_number and "1990" not in stored_dob
    submission = KycSubmission.objects.get()
    assert submission.document_number == "GHA-123456789" and submission.date_of_birth == "1990-04-12"
    on_disk = sorted(path.name for path in kyc_storage.iterdir())
    assert on_disk == sorted(d.stored_name for d in submission.documents.all())
    for path in kyc_storage.iterdir():
        content = path.read_bytes()
        assert PNG not in content and JPEG not in content  # encrypted, not stored as uploaded
    assert not any("front" in name or ".png" in name for name in on_disk)
    assert AuditEvent.objects.filter(action="kyc.submitted", actor=user).count() == 1


@pytest.mark.parametrize(
    ("upload", "status", "code"),
    [
        (
            SimpleUploadedFile("passport.png", b"just some text, not an image at all", "image/png"),
            400,
            "unsupported_file_type",
        ),
        (SimpleUploadedFile("x.exe", b"MZ\x90\x00" + b"\x00" * 64, "image/jpeg"), 400, "unsupported_file_type"),
        (
            SimpleUploadedFile("../../etc/passwd.png", b"root:x:0:0:root:/root:/bin/bash\n", "image/png"),
            400,
            "unsupported_file_type",
        ),
    ],
)
def test_files_are_judged_by_their_content_and_nothing_is_stored(user, kyc_storage, upload, status, code):
    response = submit(client_for(user), document_front=upload)

    assert response.status_code == status and response.json()["code"] == code
    assert response.json()["field"] == "document_front"
    assert not KycSubmission.objects.exists()
    assert not kyc_storage.exists() or not any(kyc_storage.iterdir())


def test_an_oversized_file_is_413_and_nothing_is_stored(user, kyc_storage, settings):
    settings.KYC_MAX_FILE_BYTES = 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2048, content_type="image/png")

    response = submit(client_for(user), selfie=big)

    assert response.status_code == 413 and response.json()["code"] == "file_too_large"
    assert not KycSubmission.objects.exists() and not KycDocument.objects.exists()
    assert not kyc_storage.exists() or not any(kyc_storage.iterdir())


def test_a_path_in_the_file_name_changes_nothing(user, kyc_storage):
    tricky = SimpleUploadedFile("../../../../tmp/evil.png", PNG, content_type="image/png")

    response = submit(client_for(user), document_front=tricky)

    assert response.status_code == 201
    document = KycDocument.objects.get(kind="front")
    assert ".." not in document.stored_name and "/" not in document.stored_name
    assert (kyc_storage / document.stored_name).exists()
    assert not Path("/tmp/evil.png").exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"date_of_birth": "2015-01-01"}, "underage"),
        ({"legal_name": "Amara"}, "invalid_legal_name"),
        ({"document_back": None}, "kyc_documents_missing"),
    ],
)
def test_bad_details_are_refused(user, overrides, code):
    body_overrides = {k: v for k, v in overrides.items() if k != "document_back"}
    if "document_back" in overrides:
        response = submit(client_for(user), document_back=None, **body_overrides)
    else:
        response = submit(client_for(user), **body_overrides)

    assert response.status_code == 400 and response.json()["code"] == code
    assert not KycSubmission.objects.exists()


def test_only_one_submission_at_a_time(user):
    client = client_for(user)
    submit(client)

    again = submit(client)

    assert again.status_code == 409 and again.json()["code"] == "kyc_in_progress"


def test_review_resubmission_and_approval(user, make_staff, django_capture_on_commit_callbacks):
    client = client_for(user)
    submission_id = submit(client).json()["id"]
    submission = KycSubmission.objects.get(public_id=submission_id)
    officer = make_staff("compliance officer")

    kyc.kyc_assign(submission=submission, officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        kyc.kyc_request_resubmission(
            submission=submission, officer=officer, documents=["selfie"], note="Your face is not visible."
        )

    status = client.get("/api/v1/kyc/status").json()
    assert status["status"] == "resubmission_requested"
    assert status["submission"]["resubmit_documents"] == ["selfie"]
    assert status["submission"]["note"] == "Your face is not visible."
    assert "send again" in mail.outbox[-1].body.lower()

    wrong = client.post(
        f"/api/v1/kyc/submissions/{submission_id}/resubmit",
        {"document_front": SimpleUploadedFile("f.png", PNG, "image/png")},
        format="multipart",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "kyc_documents_mismatch"
    again = client.post(
        f"/api/v1/kyc/submissions/{submission_id}/resubmit",
        {"selfie": SimpleUploadedFile("s.jpg", JPEG, "image/jpeg")},
        format="multipart",
    )
    assert again.status_code == 200 and again.json()["status"] == "pending" and again.json()["revision"] == 2
    assert KycDocument.objects.filter(submission=submission, kind="selfie").count() == 2
    assert KycDocument.objects.filter(submission=submission, kind="selfie", superseded_at__isnull=True).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        kyc.kyc_approve(submission=submission, officer=officer)

    assert client.get("/api/v1/kyc/status").json() | {"submission": None} == {
        "status": "approved",
        "verified": True,
        "submission": None,
    }
    assert "verified your identity" in mail.outbox[-1].body and mail.outbox[-1].to == [user.email]
    rating = CustomerRisk.objects.get(user=user)  # rated again after the decision
    assert rating.trigger == "kyc_decision" and rating.level in ("low", "medium", "high")
    actions = list(AuditEvent.objects.filter(target_id=str(submission.public_id)).values_list("action", flat=True))
    for action in ("kyc.submitted", "kyc.assigned", "kyc.resubmission_requested", "kyc.resubmitted", "kyc.approved"):
        assert action in actions


def test_a_rejection_needs_a_reason_and_the_customer_sees_it(user, make_staff):
    submission_id = submit(client_for(user)).json()["id"]
    submission = KycSubmission.objects.get(public_id=submission_id)
    officer = make_staff("compliance officer")

    with pytest.raises(Exception) as refused:
        kyc.kyc_reject(submission=submission, officer=officer, reason="because")
    kyc.kyc_reject(submission=submission, officer=officer, reason="document_expired")

    assert refused.value.code == "invalid_rejection_reason"
    shown = client_for(user).get(f"/api/v1/kyc/submissions/{submission_id}").json()
    assert shown["status"] == "rejected" and shown["rejection_reason_label"] == "The document has expired"


def test_an_officer_cannot_review_their_own_account(make_staff):
    officer = make_staff("compliance officer")
    submission = KycSubmission.objects.create(
        user=officer,
        legal_name="Own Account",
        date_of_birth="1980-01-01",
        nationality="GB",
        address_line="x",
        city="y",
        country="GB",
        document_type="passport",
        document_number="P1234567",
        submitted_at="2026-01-01T00:00:00Z",
    )

    with pytest.raises(kyc.OwnAccount):
        kyc.kyc_approve(submission=submission, officer=officer)

    submission.refresh_from_db()
    assert submission.status == "pending"


def test_another_customers_submission_is_not_found(user, other_user):
    submission_id = submit(client_for(user)).json()["id"]

    response = client_for(other_user).get(f"/api/v1/kyc/submissions/{submission_id}")
    resubmit = client_for(other_user).post(
        f"/api/v1/kyc/submissions/{submission_id}/resubmit",
        {"selfie": SimpleUploadedFile("s.jpg", JPEG)},
        format="multipart",
    )

    assert response.status_code == 404 and resubmit.status_code == 404
    assert client_for(user).get(f"/api/v1/kyc/submissions/{uuid.uuid4()}").status_code == 404


def test_unverified_customers_have_small_limits_until_approved(user, other_user, make_staff):
    funded_wallet("2000.00", currency="USD", owner=user)
    client = client_for(user)

    def send(amount):
        return client.post(
            "/api/v1/transfers",
            {"currency": "USD", "amount": amount, "to_email": other_user.email},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )

    too_big = send("250.00")
    daily = [send("150.00").status_code for _ in range(4)]  # 600.00 in a day: the 4th is over 500.00

    assert too_big.status_code == 422 and too_big.json()["code"] == "kyc_limit_exceeded"
    assert daily == [201, 201, 201, 422]

    submission = KycSubmission.objects.get(public_id=submit(client).json()["id"])
    kyc.kyc_approve(submission=submission, officer=make_staff("compliance officer"))

    assert send("250.00").status_code == 201


def test_the_console_shows_documents_to_officers_only_and_records_each_view(user, make_staff):
    submission_id = submit(client_for(user)).json()["id"]
    submission = KycSubmission.objects.get(public_id=submission_id)
    front = submission.documents.get(kind="front")
    url = f"/admin/compliance/kycsubmission/{submission.pk}/document/{front.pk}/"
    officer = make_staff("compliance officer")

    page = console_for(officer).get(f"/admin/compliance/kycsubmission/{submission.pk}/change/")
    image = console_for(officer).get(url)
    refused = console_for(make_staff("operations")).get(url)

    assert page.status_code == 200 and url in page.content.decode()
    assert image.status_code == 200 and image.content == PNG and image["Content-Type"] == "image/png"
    assert "no-store" in image["Cache-Control"] and "private" in image["Cache-Control"]
    assert refused.status_code in (302, 403)
    assert AuditEvent.objects.filter(action="kyc.document_viewed", actor=officer).count() == 1


def test_the_console_records_a_decision(user, make_staff):
    submission = KycSubmission.objects.get(public_id=submit(client_for(user)).json()["id"])
    officer = make_staff("compliance officer")

    response = console_for(officer).post(
        f"/admin/compliance/kycsubmission/{submission.pk}/decide/",
        {"decision": "reject", "rejection_reason": "selfie_mismatch", "note": "Not the same person."},
    )

    submission.refresh_from_db()
    assert response.status_code == 302
    assert submission.status == "rejected" and submission.decided_by == officer


def test_keys_rotate_with_the_reencrypt_command(user, settings, kyc_storage):
    submit(client_for(user))
    new_key = Fernet.generate_key().decode()
    settings.KYC_ENCRYPTION_KEYS = [new_key, *settings.KYC_ENCRYPTION_KEYS]

    call_command("reencrypt_kyc", stdout=open("/dev/null", "w"))
    settings.KYC_ENCRYPTION_KEYS = [new_key]  # the old key is gone

    submission = KycSubmission.objects.get()
    assert submission.document_number == "GHA-123456789"
    front = submission.documents.get(kind="front")
    from compliance.kyc import files as kyc_files

    assert kyc_files.load(front.stored_name) == PNG

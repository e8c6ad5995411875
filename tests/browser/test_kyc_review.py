"""A compliance officer reviews KYC in a real browser: signs in with TOTP, takes the
oldest pending submission, sees its documents and approves it; the customer's API then
says approved."""

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, totp_code
from compliance.models import KycSubmission
from conftest import client_for
from tests.browser.test_admin_login import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def test_an_officer_approves_a_pending_submission(page: Page, console_url, make_staff, user, settings, tmp_path):
    settings.KYC_STORAGE_DIR = str(tmp_path / "kyc")
    settings.KYC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    customer = client_for(user)
    created = customer.post(
        "/api/v1/kyc/submissions",
        {
            "legal_name": "Lucas Silva",
            "date_of_birth": "1988-09-30",
            "nationality": "PT",
            "address_line": "Rua Augusta 100",
            "city": "Lisbon",
            "country": "PT",
            "document_type": "passport",
            "document_number": "CB1234567",
            "document_front": SimpleUploadedFile("passport.png", PNG, "image/png"),
            "selfie": SimpleUploadedFile("selfie.png", PNG, "image/png"),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    officer = make_staff("compliance officer")

    sign_in(page, console_url, email=officer.email, password=PASSWORD, code=totp_code(officer.totp_device))
    page.goto(f"{console_url}compliance/kycsubmission/")
    row = page.locator("#result_list tbody tr", has_text="Lucas Silva")
    expect(row).to_have_count(1)
    row.locator("input[type=checkbox]").check()
    page.select_option("select[name=action]", "assign_to_me")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("assigned to you")

    documents: dict[str, tuple[int, str]] = {}
    page.on(
        "response",
        lambda r: "/document/" in r.url and documents.update({r.url: (r.status, r.headers.get("content-type"))}),
    )
    page.locator("#result_list tbody tr", has_text="Lucas Silva").locator("th a, td a").first.click()
    expect(page.locator("img.kyc-preview")).to_have_count(2)  # passport front and selfie, inline
    page.wait_for_load_state("networkidle")
    assert sorted(documents.values()) == [(200, "image/png"), (200, "image/png")], documents
    page.check("input[name=decision][value=approve]") if page.locator(
        "input[name=decision]"
    ).count() else page.select_option("select[name=decision]", "approve")
    page.fill("textarea[name=note]", "Passport and selfie match.")
    page.click("input[name=_decide]")
    expect(page.locator(".messagelist")).to_contain_text("Approved")

    submission = KycSubmission.objects.get(public_id=created.json()["id"])
    assert submission.status == "approved" and submission.decided_by == officer
    assert customer.get("/api/v1/kyc/status").json()["status"] == "approved"

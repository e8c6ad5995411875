"""A KYC submission and a change of name or date of birth screen the customer again."""

import pytest
from cryptography.fernet import Fernet

from compliance.models import ScreeningResult
from compliance.tests.test_kyc import submit
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kyc_storage(settings, tmp_path):
    settings.KYC_STORAGE_DIR = str(tmp_path / "kyc")
    settings.KYC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]


def test_a_submission_is_screened_after_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client_for(user)).status_code == 201

    result = ScreeningResult.objects.get(user=user)
    assert result.trigger == "kyc_submission"
    assert result.screened_name == "Amara Mensah" and result.screened_dob == "1990-04-12"


def test_a_new_name_or_date_of_birth_is_screened_but_not_a_new_phone(user, django_capture_on_commit_callbacks):
    client = client_for(user)

    with django_capture_on_commit_callbacks(execute=True):
        client.patch("/api/v1/profile", {"phone": "+233201234567"}, format="json")
    assert not ScreeningResult.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch("/api/v1/profile", {"last_name": "Owusu", "date_of_birth": "1991-02-03"}, format="json")

    assert response.status_code == 200, response.content
    result = ScreeningResult.objects.get(user=user)
    assert result.trigger == "profile_change" and result.screened_name.endswith("Owusu")
    assert result.screened_dob == "1991-02-03"

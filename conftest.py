"""Shared fixtures: users by role, authenticated API clients, a clean cache per test."""

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from rest_framework.test import APIClient

from accounts import tokens
from accounts.tests.factories import PASSWORD, UserFactory, add_totp


@pytest.fixture(autouse=True)
def _roles_survive_flush(request):
    """Tests on a real transaction (threads, live server) flush every table afterwards,
    including what data migrations created (roles, the scoring model, the survey): put it
    back for each such test."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        import importlib

        from django.apps import apps

        request.getfixturevalue("transactional_db")
        importlib.import_module("accounts.migrations.0002_roles").create_roles(apps, None)
        importlib.import_module("wallets.migrations.0004_role_permissions").grant(apps, None)
        importlib.import_module("wallets.migrations.0007_rail_permissions").grant(apps, None)
        importlib.import_module("wallets.migrations.0009_fx_permissions").grant(apps, None)
        importlib.import_module("wallets.migrations.0013_adjustment_permissions").grant(apps, None)
        importlib.import_module("wallets.migrations.0011_payment_request_permissions").grant(apps, None)
        importlib.import_module("credit.migrations.0002_register_champion").register_artifacts(apps, None)
        importlib.import_module("credit.migrations.0003_survey_questions").sync(apps, None)
        importlib.import_module("credit.migrations.0004_credit_permissions").grant(apps, None)
        importlib.import_module("compliance.migrations.0002_compliance_permissions").grant(apps, None)
        importlib.import_module("loans.migrations.0002_product_permissions").grant(apps, None)
        importlib.import_module("loans.migrations.0005_application_permissions").grant(apps, None)
        importlib.import_module("loans.migrations.0008_servicing_permissions").grant(apps, None)
        if not _chain_head_exists():
            importlib.import_module("audit.migrations.0002_chain_head").create_head(apps, None)
    yield


def _chain_head_exists() -> bool:
    from audit.models import AuditChainHead

    return AuditChainHead.objects.filter(pk=1).exists()


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


def client_for(user, *, mfa: bool = False) -> APIClient:
    client = APIClient()
    pair = tokens.issue(user, mfa=mfa)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    client.tokens = pair
    return client


def console_for(staff, *, verified: bool = True) -> Client:
    """A Django test client signed in to the staff console (second factor verified unless told)."""
    console = Client()
    console.force_login(staff)
    if verified:
        session = console.session
        session[DEVICE_ID_SESSION_KEY] = staff.totp_device.persistent_id
        session.save()
    return console


@pytest.fixture
def auth_client(user):
    return client_for(user)


@pytest.fixture
def make_staff(db):
    """make_staff("auditor") -> a staff user with that role and a confirmed TOTP device."""

    def make(*roles, totp: bool = True):
        staff = UserFactory(roles=list(roles), is_staff=True)
        staff.totp_device = add_totp(staff) if totp else None
        return staff

    return make


@pytest.fixture
def staff_client(make_staff):
    """staff_client("auditor") -> an API client whose session passed MFA."""

    def make(*roles):
        staff = make_staff(*roles)
        client = client_for(staff, mfa=True)
        client.user = staff
        return client

    return make

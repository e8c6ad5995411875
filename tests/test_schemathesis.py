"""Property-based tests of the whole API against its own live OpenAPI schema.

The schema is fetched from /api/v1/schema/ through the real WSGI application; every
operation is then exercised with generated inputs (valid and invalid), authenticated as
a customer, and the staff operations as an auditor whose session passed MFA. Each
answer must be no 5xx, a documented status code, a documented content type, a body
that matches the documented schema, and documented headers.

A fresh token pair is issued for every generated case, so an operation that ends a
session (logout, change-password, turning TOTP off) cannot spoil the cases after it.
"""

import subprocess
import sys

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import tokens
from accounts.tests.factories import UserFactory, add_totp
from blockscore.wsgi import application

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    database="none",  # no .hypothesis/ example store in the working tree
)

STAFF_ONLY = {"/api/v1/health/detailed"}


def _is_staff_operation(path: str) -> bool:
    return path.startswith("/api/v1/admin/") or path in STAFF_ONLY


@pytest.fixture
def identities(transactional_db, settings):
    """A customer and an auditor with TOTP; throttles off (lockouts stay on)."""
    settings.ENABLE_RATE_LIMITING = False
    customer = UserFactory()
    auditor = UserFactory(roles=["auditor"], is_staff=True)
    add_totp(auditor)
    return {"customer": customer, "auditor": auditor}


@pytest.fixture
def in_process_requests():
    """The WSGI application runs in the test's thread: keep Django from closing the
    test's database connection at each request, as its own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _bearer(user, *, mfa: bool) -> str:
    user.refresh_from_db(fields=["token_version", "is_active"])
    return f"Bearer {tokens.issue(user, mfa=mfa)['access']}"


hypothesis_config = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
    derandomize=True,
    database=None,
)


def _call_and_validate(case, identities) -> None:
    if _is_staff_operation(case.path):
        authorization = _bearer(identities["auditor"], mfa=True)
    else:
        authorization = _bearer(identities["customer"], mfa=False)
    case.call_and_validate(headers={"Authorization": authorization}, checks=CHECKS)


@schema.parametrize()
@hypothesis_config
def test_api_conforms_to_its_schema(case, identities, in_process_requests):
    _call_and_validate(case, identities)


def test_schema_validates_without_warnings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(tmp_path / "schema.yaml"),
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "DJANGO_SETTINGS_MODULE": "blockscore.settings.test",
            "PATH": "/usr/bin:/bin",
            "BLOCKSCORE_VAR_DIR": str(tmp_path),
        },
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr[-3000:]

"""The WSGI handler gunicorn runs: the API's shorter middleware chain, the console's full one."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from accounts import tokens
from accounts.tests.factories import UserFactory
from blockscore.wsgi import application


def _call(path: str, **headers):
    environ = RequestFactory().get(path, **headers).environ
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = response_headers

    # As a server would, minus closing the database connection at the start and end of the
    # request (Django's test client does the same: the test's transaction lives on it).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = application(environ, start_response)
        body = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    names = {}
    for name, value in answer["headers"]:
        names.setdefault(name.lower(), []).append(value)
    return answer["status"], names, body


def test_api_requests_skip_the_console_middleware_and_keep_the_rest():
    status, headers, body = _call("/api/v1/ping", HTTP_ORIGIN="https://evil.example")

    assert status == 200
    assert headers["content-length"] == [str(len(body))]
    assert headers["x-frame-options"] == ["DENY"]
    assert headers["x-content-type-options"] == ["nosniff"]
    assert headers["cache-control"] == ["no-store"]
    assert len(headers["x-request-id"][0]) >= 8
    # Nothing from sessions, CSRF or messages: no cookie, and no Vary on it.
    assert "set-cookie" not in headers
    assert "Cookie" not in ", ".join(headers.get("vary", []))


@pytest.mark.django_db
def test_an_api_request_authenticates_with_its_bearer_token():
    user = UserFactory()
    access = tokens.issue(user, mfa=False)["access"]

    status, _, _ = _call("/api/v1/wallets", HTTP_AUTHORIZATION=f"Bearer {access}")
    anonymous, headers, _ = _call("/api/v1/wallets")

    assert status == 200
    assert anonymous == 401 and headers["www-authenticate"]


@pytest.mark.django_db
def test_the_staff_console_keeps_sessions_and_csrf():
    status, headers, body = _call("/admin/login/")

    assert status == 200
    assert any(cookie.strip().startswith("csrftoken=") for cookie in headers["set-cookie"])
    assert b"csrfmiddlewaretoken" in body


def test_the_api_chain_is_the_full_one_without_the_console_middleware():
    def view_middleware(handler):
        return [type(method.__self__).__name__ for method in handler._view_middleware]

    assert "CsrfViewMiddleware" in view_middleware(application)
    assert "CsrfViewMiddleware" not in view_middleware(application.api)

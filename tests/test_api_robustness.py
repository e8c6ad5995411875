"""API conventions under bad input: every failure is a 4xx problem+json, never a 500,
never half-saved; every response carries a request id and the security headers."""

import base64
import io
import json
import logging
import socket
import subprocess
import sys
import uuid
from datetime import timedelta
from urllib.parse import urlparse

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from audit.models import AuditEvent, SecurityEvent
from blockscore.logging import JsonFormatter, RequestIdFilter
from conftest import client_for

PROBLEM = "application/problem+json"
PROBLEM_FIELDS = {"type", "code", "title", "status", "detail", "request_id"}
LOGIN_PATH = "/api/v1/auth/login"


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert PROBLEM_FIELDS <= set(body), body
    assert body["status"] == status
    assert body["type"] == f"urn:blockscore:problem:{body['code']}"
    assert body["title"] and body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    if code is not None:
        assert body["code"] == code, body
    return body


def post_raw(client, path, body: bytes | str, content_type="application/json", **extra):
    return client.generic("POST", path, body, content_type=content_type, **extra)


# --- request ids ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/ping"),
        ("get", "/api/v1/auth/me"),
        ("get", "/api/v1/nope"),
        ("get", "/metrics"),
        ("get", "/admin/login/"),
        ("post", "/api/v1/auth/login"),
    ],
)
def test_every_response_has_a_request_id(client, method, path):
    response = getattr(client, method)(path)

    assert len(response["X-Request-ID"]) >= 8


@pytest.mark.django_db
def test_a_well_formed_request_id_is_echoed(client):
    incoming = "req-" + uuid.uuid4().hex

    response = client.get("/api/v1/auth/me", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming
    assert response.json()["request_id"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    [
        "<script>alert(1)</script>",
        "short",
        "x" * 129,
        "abcdefgh\n",
        "abcdefgh\r\nSet-Cookie: a=b",
        "abcdefgh; drop table",
        "ab cd ef gh",
        "abcdéfghij",
    ],
)
def test_a_malformed_request_id_is_replaced(client, incoming):
    response = client.get("/api/v1/ping", HTTP_X_REQUEST_ID=incoming)

    assert response.status_code == 200
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_the_request_id_is_exposed_to_browsers_through_cors(client):
    with override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"]):
        response = client.get("/api/v1/ping", HTTP_ORIGIN="https://app.example.com")

    assert "x-request-id" in response["Access-Control-Expose-Headers"].lower()


# --- client address ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forwarded,expected",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("198.51.100.1, 203.0.113.7", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("not-an-address", "127.0.0.1"),
        ("", "127.0.0.1"),
        ("203.0.113.7\x00", "127.0.0.1"),
    ],
)
def test_the_client_address_behind_one_trusted_proxy(client, forwarded, expected):
    with override_settings(TRUSTED_PROXY_COUNT=1):
        response = client.post(
            LOGIN_PATH,
            {"email": "x@example.com", "password": "wrong-password-1"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    assert response.status_code == 401
    assert SecurityEvent.objects.get(event_type="login_failed").ip == expected


@pytest.mark.django_db
def test_x_forwarded_for_is_ignored_without_trusted_proxies(client):
    client.post(
        LOGIN_PATH,
        {"email": "x@example.com", "password": "wrong-password-1"},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )

    assert SecurityEvent.objects.get(event_type="login_failed").ip == "127.0.0.1"


# --- problem details for each status -------------------------------------------------


@pytest.mark.django_db
def test_400_malformed_json_is_problem_json(client):
    response = post_raw(client, "/api/v1/auth/login", b'{"email": "a@example.com", "password": ')

    assert_problem(response, 400, "malformed_request")


@pytest.mark.django_db
def test_401_without_a_token_is_problem_json(client):
    response = client.get("/api/v1/auth/me")

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_403_customer_on_a_staff_endpoint_is_problem_json(auth_client):
    assert_problem(auth_client.get("/api/v1/admin/users"), 403, "permission_denied")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/auth/me/extra", "/api/v1/", "/api/v2/ping", "/nowhere"])
def test_404_unknown_path_is_problem_json(client, path):
    assert_problem(client.get(path), 404, "not_found")


@pytest.mark.django_db
def test_405_wrong_method_is_problem_json(client):
    response = client.get("/api/v1/auth/login")

    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]


@pytest.mark.django_db
def test_406_unsupported_accept_is_problem_json(client):
    assert_problem(client.get("/api/v1/ping", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")


@pytest.mark.django_db
def test_413_declared_body_over_the_cap_is_problem_json(client):
    body = json.dumps({"email": "a@example.com", "password": "x" * (settings.MAX_REQUEST_BODY_BYTES + 10)})

    response = post_raw(client, "/api/v1/auth/login", body)

    assert_problem(response, 413, "payload_too_large")
    assert SecurityEvent.objects.count() == 0  # refused before any view ran


@pytest.mark.django_db
@override_settings(MAX_REQUEST_BODY_BYTES=2048, DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_413_follows_the_configured_cap(client):
    small = post_raw(client, "/api/v1/auth/login", json.dumps({"email": "a@example.com", "password": "p" * 100}))
    big = post_raw(client, "/api/v1/auth/login", json.dumps({"email": "a@example.com", "password": "p" * 3000}))

    assert small.status_code == 401
    assert_problem(big, 413, "payload_too_large")


def _chunked(client, path, body: bytes, **extra):
    """A request as gunicorn hands over a chunked upload: no Content-Length, the
    stream already de-chunked and terminated (``wsgi.input_terminated``)."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        **extra,
    }
    return client.request(**environ)


@pytest.mark.django_db
def test_413_chunked_body_over_the_cap_without_content_length(client):
    body = json.dumps({"email": "a@example.com", "password": "x" * (settings.MAX_REQUEST_BODY_BYTES + 10)})

    response = _chunked(client, "/api/v1/auth/login", body.encode())

    assert_problem(response, 413, "payload_too_large")


@pytest.mark.django_db
def test_a_small_chunked_body_is_read_normally(client, user):
    body = json.dumps({"email": user.email, "password": "wrong-password-1"}).encode()

    response = _chunked(client, "/api/v1/auth/login", body)

    assert_problem(response, 401, "invalid_credentials")


@pytest.mark.django_db
def test_a_chunked_body_the_server_did_not_decode_is_refused_with_411(client):
    environ = {"wsgi.input_terminated": False}

    response = _chunked(client, "/api/v1/auth/login", b"5\r\nhello\r\n0\r\n\r\n", **environ)

    assert_problem(response, 411, "length_required")


@pytest.mark.django_db(transaction=True)
def test_413_chunked_over_a_real_socket(live_server):
    """Against the live test server (which, unlike gunicorn, does not de-chunk)."""
    url = urlparse(live_server.url)
    chunk = b"x" * 65536
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        try:
            for _ in range(40):  # 2.5 MiB, over the 1 MiB cap
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading it all
        data = b""
        while True:
            try:
                part = sock.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            data += part
    head = data.split(b"\r\n", 1)[0]
    assert head.split()[1] in (b"411", b"413"), data[:500]
    assert b"application/problem+json" in data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type,body",
    [
        ("text/plain", b'{"email": "a@example.com", "password": "x"}'),
        ("application/x-www-form-urlencoded", b"email=a%40example.com&password=x"),
        (
            "multipart/form-data; boundary=XX",
            b'--XX\r\nContent-Disposition: form-data; name="email"\r\n\r\na\r\n--XX--\r\n',
        ),
        ("application/xml", b"<login/>"),
        ("", b'{"email": "a@example.com", "password": "x"}'),
    ],
)
def test_415_wrong_content_type_on_a_json_endpoint(client, content_type, body):
    response = post_raw(client, "/api/v1/auth/login", body, content_type=content_type)

    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_415_on_an_authenticated_json_endpoint(auth_client):
    response = auth_client.generic(
        "PATCH", "/api/v1/profile", b"city=Paris", content_type="application/x-www-form-urlencoded"
    )

    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_json_with_a_charset_is_accepted(client, user):
    body = json.dumps({"email": user.email, "password": PASSWORD})

    response = post_raw(client, "/api/v1/auth/login", body, content_type="application/json; charset=utf-8")

    assert response.status_code == 200


@pytest.mark.django_db
@override_settings(THROTTLE_RATES={**settings.THROTTLE_RATES, "login": "2/minute"})
def test_429_is_problem_json_with_retry_after(client):
    body = {"email": "nobody@example.com", "password": "wrong-password-1"}
    for _ in range(2):
        assert client.post("/api/v1/auth/login", body, content_type="application/json").status_code == 401

    limited = client.post("/api/v1/auth/login", body, content_type="application/json")

    assert_problem(limited, 429, "rate_limited")
    assert 1 <= int(limited["Retry-After"]) <= 60


# --- bodies that are not what the endpoint expects -----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"{'email': 'a'}",
        b'{"email": "a",}',
        b"\xff\xfe\x00garbage",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b"[" * 5000 + b"]" * 5000,
        b"[" * 200000 + b"]" * 200000,
        b'{"a":' * 100000 + b"1" + b"}" * 100000,
        b"\x00",
        b'"\\ud800"',
    ],
    ids=[
        "empty",
        "truncated",
        "single-quotes",
        "trailing-comma",
        "not-utf8",
        "nan",
        "infinity",
        "nested-5000",
        "nested-200000",
        "nested-objects-100000",
        "nul",
        "lone-surrogate",
    ],
)
def test_malformed_or_hostile_json_is_400_never_500(client, body):
    response = post_raw(client, "/api/v1/auth/login", body)

    problem = assert_problem(response, 400)
    assert problem["code"] in {"malformed_request", "validation_error"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    ['["a@example.com", "secret"]', '"a@example.com"', "42", "true", "null", "[]", "[{}]"],
)
def test_a_json_body_that_is_not_an_object_is_400(client, body):
    response = post_raw(client, "/api/v1/auth/register", body)

    problem = assert_problem(response, 400, "validation_error")
    assert problem["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['["x"]', '"x"', "7", "null"])
def test_a_patch_body_that_is_not_an_object_is_400(auth_client, body):
    for path in ("/api/v1/auth/me", "/api/v1/profile", "/api/v1/profile/preferences"):
        response = auth_client.generic("PATCH", path, body, content_type="application/json")
        assert_problem(response, 400, "validation_error")


@pytest.mark.django_db
def test_wrong_types_are_400_with_errors_per_field(client):
    response = client.post(
        "/api/v1/auth/register",
        {"email": 12345, "password": ["a", "list"], "first_name": {"an": "object"}},
        content_type="application/json",
    )

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {"email", "password", "first_name"}
    assert all(isinstance(messages, list) and messages for messages in problem["errors"].values())
    assert not User.objects.exists()


@pytest.mark.django_db
def test_wrong_types_on_preferences_are_400_with_field_errors(auth_client):
    response = auth_client.patch(
        "/api/v1/profile/preferences", {"notify_email": "maybe", "theme": 3}, content_type="application/json"
    )

    problem = assert_problem(response, 400, "validation_error")
    assert {"notify_email", "theme"} <= set(problem["errors"])


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["is_staff", "is_superuser", "roles", "token_version", "extra"])
def test_unknown_or_read_only_fields_are_refused_not_mass_assigned(client, field):
    response = client.post(
        "/api/v1/auth/register",
        {"email": "new@example.com", "password": PASSWORD, field: True},
        content_type="application/json",
    )

    problem = assert_problem(response, 400, "validation_error")
    assert field in problem["errors"]
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.django_db
def test_me_patch_cannot_make_a_customer_staff(auth_client, user):
    response = auth_client.patch(
        "/api/v1/auth/me", {"is_staff": True, "first_name": "Eve"}, content_type="application/json"
    )

    problem = assert_problem(response, 400, "validation_error")
    assert "is_staff" in problem["errors"]
    user.refresh_from_db()
    assert user.is_staff is False
    assert user.first_name != "Eve"


@pytest.mark.django_db
def test_query_parameters_of_the_wrong_type_are_400_not_500(staff_client):
    client = staff_client("administrator")

    for query in (
        "is_active=banana",
        "joined_after=not-a-date",
        "page=0",
        "page=abc",
        "page=99999",
        "ordering=password",
    ):
        response = client.get(f"/api/v1/admin/users?{query}")
        assert response.status_code in (200, 400, 404), (query, response.status_code)
        if response.status_code != 200:
            assert response["Content-Type"] == PROBLEM


@pytest.mark.django_db
@pytest.mark.parametrize("offset", ["+22:57", "-23:59", "+15:59", "Z"])
def test_date_time_filters_accept_any_offset_python_does(staff_client, offset):
    """PostgreSQL refuses offsets past 15:59 in a literal; the filter backend sends UTC."""
    client = staff_client("administrator")

    response = client.get(
        "/api/v1/admin/users",
        {"joined_after": f"2001-01-01T00:00:00{offset}", "joined_before": f"2999-01-01T00:00:00{offset}"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["count"] >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+10:00", "9999-12-31T23:59:59-10:00"])
def test_a_date_time_filter_pushed_off_the_calendar_by_its_offset_is_400(staff_client, value):
    response = staff_client("administrator").get("/api/v1/admin/users", {"joined_after": value})

    problem = assert_problem(response, 400, "validation_error")
    assert "joined_after" in problem["errors"]


# --- nothing half-written ------------------------------------------------------------


@pytest.mark.django_db
def test_register_with_a_weak_password_writes_nothing(client):
    audit_before, security_before = AuditEvent.objects.count(), SecurityEvent.objects.count()

    response = client.post(
        "/api/v1/auth/register", {"email": "weak@example.com", "password": "password"}, content_type="application/json"
    )

    problem = assert_problem(response, 400, "weak_password")
    assert "password" in problem["errors"]
    assert not User.objects.filter(email="weak@example.com").exists()
    assert AuditEvent.objects.count() == audit_before
    assert SecurityEvent.objects.count() == security_before


@pytest.mark.django_db
def test_register_twice_is_409_and_creates_one_user(client):
    body = {"email": "twice@example.com", "password": PASSWORD}

    first = client.post("/api/v1/auth/register", body, content_type="application/json")
    second = client.post(
        "/api/v1/auth/register", {**body, "email": "TWICE@example.com"}, content_type="application/json"
    )

    assert first.status_code == 201
    assert_problem(second, 409, "email_taken")
    assert User.objects.filter(email__iexact="twice@example.com").count() == 1


@pytest.mark.django_db
def test_profile_patch_with_one_bad_field_changes_nothing(auth_client, user):
    audit_before = AuditEvent.objects.count()

    response = auth_client.patch(
        "/api/v1/profile", {"city": "Lyon", "date_of_birth": "not-a-date"}, content_type="application/json"
    )

    assert_problem(response, 400, "validation_error")
    user.profile.refresh_from_db()
    assert user.profile.city != "Lyon"
    assert AuditEvent.objects.count() == audit_before


# --- tokens ----------------------------------------------------------------------------


def _claims(user, **overrides) -> dict:
    now = timezone.now()
    claims = {
        "token_type": "access",
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "iat": int(now.timestamp()),
        "jti": uuid.uuid4().hex,
        "sub": str(user.public_id),
        "tv": user.token_version,
        "mfa": False,
        "iss": settings.SIMPLE_JWT["ISSUER"],
    }
    claims.update(overrides)
    return claims


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _assert_401(client, token_or_header, *, raw_header: bool = False):
    header = token_or_header if raw_header else f"Bearer {token_or_header}"
    response = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=header)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    return response


@pytest.mark.django_db
def test_a_genuine_token_works(client, user):
    token = jwt.encode(_claims(user), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")

    response = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200  # the crafted tokens below differ from this one in one way each


@pytest.mark.django_db
def test_an_expired_token_is_401(client, user):
    token = AccessToken.for_user(user)
    token["tv"] = user.token_version
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))

    body = _assert_401(client, str(token)).json()

    assert body["code"] == "token_not_valid"


@pytest.mark.django_db
def test_a_token_signed_with_another_key_is_401(client, user):
    _assert_401(client, jwt.encode(_claims(user), "not-the-signing-key-" * 3, algorithm="HS256"))


@pytest.mark.django_db
def test_a_token_with_a_tampered_payload_is_401(client, user, other_user):
    genuine = jwt.encode(_claims(user), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    header, _, signature = genuine.split(".")

    _assert_401(client, f"{header}.{_b64(_claims(other_user))}.{signature}")


@pytest.mark.django_db
@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_an_alg_none_token_is_401(client, user, alg):
    unsigned = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_claims(user))}."

    _assert_401(client, unsigned)


@pytest.mark.django_db
def test_a_token_with_another_algorithm_is_401(client, user):
    _assert_401(client, jwt.encode(_claims(user), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS512"))


@pytest.mark.django_db
def test_a_token_from_another_issuer_is_401(client, user):
    _assert_401(client, jwt.encode(_claims(user, iss="evil"), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256"))


@pytest.mark.django_db
def test_a_refresh_token_is_not_an_access_token(client, user):
    refresh = client_for(user).tokens["refresh"]

    _assert_401(client, refresh)


@pytest.mark.django_db
def test_a_token_of_a_deleted_user_is_401(client):
    doomed = UserFactory()
    access = client_for(doomed).tokens["access"]
    User.objects.filter(pk=doomed.pk).delete()

    _assert_401(client, access)


@pytest.mark.django_db
def test_a_token_of_a_deactivated_user_is_401(client):
    inactive = UserFactory()
    access = client_for(inactive).tokens["access"]
    User.objects.filter(pk=inactive.pk).update(is_active=False)

    _assert_401(client, access)


@pytest.mark.django_db
def test_a_token_with_a_sub_that_is_not_a_uuid_is_401(client, user):
    token = jwt.encode(_claims(user, sub="1 OR 1=1"), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")

    _assert_401(client, token)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer a b c",
        "Bearer garbage",
        "Bearer ....",
        "Bearer e30.e30.",
        "Token abc",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "A" * 5000,
        "Bearer \u00e9\u00e9",
        "bearer x.y.z",
    ],
)
def test_a_garbage_authorization_header_is_401(client, header):
    response = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=header)

    assert_problem(response, 401)


@pytest.mark.django_db
def test_a_garbage_token_on_a_public_endpoint_is_ignored(client, user):
    response = client.post(
        "/api/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer garbage",
    )

    assert response.status_code == 200


# --- security headers ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path,kwargs",
    [
        ("get", "/api/v1/ping", {}),
        ("get", "/api/v1/auth/me", {}),
        ("get", "/api/v1/nope", {}),
        ("get", "/metrics", {}),
        ("get", "/admin/login/", {}),
        ("get", "/api/v1/docs/", {}),
        ("post", "/api/v1/auth/login", {"data": b"x" * (2 * 1024 * 1024), "content_type": "application/json"}),
        ("post", "/api/v1/auth/login", {"data": b"{", "content_type": "application/json"}),
    ],
    ids=["ping", "401", "404", "metrics", "admin", "docs", "413", "400"],
)
def test_security_headers_on_every_response(client, method, path, kwargs):
    response = getattr(client, method)(path, **kwargs)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Permissions-Policy" in response
    if path.startswith("/admin/"):
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert "script-src 'self'" in response["Content-Security-Policy"]
    elif path.startswith("/api/") and not path.startswith("/api/v1/docs"):
        assert response["Content-Security-Policy"] == settings.API_CSP
        assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_admin_pages_carry_the_admin_csp(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == settings.ADMIN_CSP


@pytest.mark.django_db
def test_swagger_ui_gets_a_csp_that_lets_it_run(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp


@pytest.mark.django_db
def test_hsts_on_secure_requests_when_configured(client):
    with override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True):
        secure = client.get("/api/v1/ping", secure=True)
        plain = client.get("/api/v1/ping")

    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in plain


def test_production_settings_turn_on_hsts_and_secure_cookies(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "blockscore.settings.production",
        "SECRET_KEY": "k" * 64,
        "DATABASE_URL": "postgres://u:p@db.invalid:5432/x",
        "ALLOWED_HOSTS": "api.example.com",
        "KYC_ENCRYPTION_KEYS": "x3HV8rmbz8Sz3bG0gPSwWjh4ZY2Xq6BTzKXXaF3mZQ8=",
        "BLOCKSCORE_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; import json; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=settings.BASE_DIR
    )

    assert result.returncode == 0, result.stderr
    hsts_seconds, subdomains, ssl_redirect, session_secure, csrf_secure, debug = json.loads(result.stdout)
    assert hsts_seconds >= 31_536_000 and subdomains and ssl_redirect and session_secure and csrf_secure
    assert debug is False


def test_production_settings_refuse_to_start_without_secrets(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "blockscore.settings.production",
        "BLOCKSCORE_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "DATABASE_URL" in result.stderr


# --- CORS ------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_cors_allows_a_configured_origin(client):
    simple = client.get("/api/v1/ping", HTTP_ORIGIN="https://app.example.com")
    preflight = client.options(
        "/api/v1/auth/login",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, authorization, idempotency-key, x-request-id",
    )

    assert simple["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in preflight["Access-Control-Allow-Headers"].lower()


@pytest.mark.django_db
@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
@pytest.mark.parametrize(
    "origin", ["https://evil.example.com", "https://app.example.com.evil.com", "null", "http://app.example.com"]
)
def test_cors_ignores_other_origins(client, origin):
    simple = client.get("/api/v1/ping", HTTP_ORIGIN=origin)
    preflight = client.options("/api/v1/auth/login", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")

    assert "Access-Control-Allow-Origin" not in simple
    assert "Access-Control-Allow-Origin" not in preflight


@pytest.mark.django_db
def test_cors_is_closed_by_default(client):
    response = client.get("/api/v1/ping", HTTP_ORIGIN="https://app.example.com")

    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_cors_headers_are_on_error_responses_too(client):
    response = client.post(
        "/api/v1/auth/login",
        b"x" * (2 * 1024 * 1024),
        content_type="application/json",
        HTTP_ORIGIN="https://app.example.com",
    )

    assert response.status_code == 413
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"


# --- structured logs ---------------------------------------------------------------------


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[dict] = []
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def json_log_lines():
    handler = _Lines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@pytest.mark.django_db
def test_each_request_writes_a_json_access_line_with_its_request_id(client, json_log_lines):
    client.get("/api/v1/ping", HTTP_X_REQUEST_ID="trace-abcdef-123")
    response = client.get("/api/v1/nope")

    access = [line for line in json_log_lines if line["logger"] == "blockscore.request"]
    assert [line["request_id"] for line in access] == ["trace-abcdef-123", response["X-Request-ID"]]
    first = access[0]
    assert first["method"] == "GET" and first["path"] == "/api/v1/ping" and first["status"] == 200
    assert first["duration_ms"] >= 0
    assert {"time", "level", "message"} <= set(first)


@pytest.mark.django_db
def test_log_lines_written_while_serving_carry_the_request_id(client, user, json_log_lines):
    response = client.post(
        "/api/v1/auth/login",
        {"email": user.email, "password": "wrong-password-x"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="trace-login-000001",
    )

    assert response.status_code == 401
    assert json_log_lines, "expected at least the access line"
    assert all(line["request_id"] == "trace-login-000001" for line in json_log_lines)


@pytest.mark.django_db
def test_the_access_line_names_the_authenticated_user(auth_client, user, json_log_lines):
    auth_client.get("/api/v1/auth/me")

    access = [line for line in json_log_lines if line["logger"] == "blockscore.request"]
    assert access[-1]["user"] == str(user.public_id)


def test_the_json_formatter_writes_one_parseable_line_with_extras():
    record = logging.makeLogRecord(
        {
            "name": "x",
            "levelname": "INFO",
            "msg": "hello %s",
            "args": ("world",),
            "request_id": "rid-12345678",
            "amount": "10.00",
        }
    )

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "hello world" and entry["request_id"] == "rid-12345678" and entry["amount"] == "10.00"


# --- the same request in parallel --------------------------------------------------------


def _in_parallel(count, request):
    from blockscore.testing import run_in_parallel

    return run_in_parallel(count, request)


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_of_one_address_create_one_user_and_no_500(settings):
    from django.test import Client

    settings.ENABLE_RATE_LIMITING = False

    responses = _in_parallel(
        16,
        lambda index: Client(raise_request_exception=False).post(
            "/api/v1/auth/register",
            {"email": "race@example.com", "password": PASSWORD},
            content_type="application/json",
        ),
    )

    statuses = sorted(getattr(response, "status_code", repr(response)) for response in responses)
    assert statuses == [201] + [409] * 15, statuses
    assert User.objects.filter(email="race@example.com").count() == 1

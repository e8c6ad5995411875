"""Ops endpoints: ping, health, readiness, health/detailed and /metrics.

Failing dependencies are made really unreachable (a Redis cache or a broker on a closed
port, a migration marked unapplied), not mocked.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from blockscore.celery import app as celery_app
from conftest import client_for

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down():
    """Point the Celery app at a broker nobody listens on, for the length of one test."""
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = CLOSED_PORT_REDIS
    try:
        yield
    finally:
        celery_app.conf.broker_url = original


def test_ping_answers_pong(api_client):
    response = api_client.get("/api/v1/ping")

    assert response.status_code == 200
    assert response.json() == {"ping": "pong"}
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_health_is_ok_when_every_dependency_answers(api_client):
    response = api_client.get("/api/v1/health")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "migrations"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_health_needs_no_token_and_ignores_a_bad_one(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert api_client.get("/api/v1/health").status_code == 200


@pytest.mark.django_db
def test_health_is_503_naming_the_cache_when_redis_is_unreachable(api_client):
    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_PORT_REDIS}}

    with override_settings(CACHES=unreachable):
        response = api_client.get("/api/v1/health")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"] == {"ok": False}
    assert checks["database"]["ok"] and checks["broker"]["ok"] and checks["migrations"]["ok"]
    assert response.json()["status"] == "fail"


@pytest.mark.django_db
def test_health_is_503_naming_the_broker_when_it_is_unreachable(api_client, broker_down):
    response = api_client.get("/api/v1/health")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"] == {"ok": False}
    assert checks["database"]["ok"] and checks["cache"]["ok"]


@pytest.mark.django_db
def test_health_and_readiness_are_503_when_a_migration_is_unapplied(api_client):
    MigrationRecorder.Migration.objects.filter(app="accounts", name="0002_roles").delete()

    health = api_client.get("/api/v1/health")
    readiness = api_client.get("/api/v1/readiness")

    assert health.status_code == 503
    assert health.json()["checks"]["migrations"] == {"ok": False}
    assert readiness.status_code == 503
    assert readiness.json()["checks"]["migrations"] == {"ok": False}


def test_health_is_503_naming_the_database_when_it_is_unreachable(tmp_path):
    """A process whose DATABASE_URL points at a closed port: health still answers."""
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/api/v1/health'); print(json.dumps([r.status_code, r.json()]))"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "blockscore.settings.test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/blockscore",
        "BLOCKSCORE_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }

    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, cwd=settings.BASE_DIR
    )

    assert result.returncode == 0, result.stderr[-2000:]
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body["checks"]["database"] == {"ok": False}
    assert body["checks"]["cache"] == {"ok": True}


@pytest.mark.django_db
def test_public_health_does_not_leak_error_text(api_client, broker_down):
    body = api_client.get("/api/v1/health").content.decode()

    assert "127.0.0.1" not in body
    assert "Error" not in body


@pytest.mark.django_db
def test_readiness_checks_database_and_migrations_only(api_client, broker_down):
    response = api_client.get("/api/v1/readiness")

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "migrations"}


@pytest.mark.django_db
def test_detailed_health_for_staff_with_mfa_shows_latencies_and_versions(staff_client):
    client = staff_client("auditor")

    response = client.get("/api/v1/health/detailed")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["latency_ms"] >= 0
    assert body["database_vendor"] == connection.vendor
    assert "django" in body["versions"]
    assert set(body["flags"]) == {"ENABLE_MFA", "ENABLE_RATE_LIMITING", "ENABLE_BLOCKCHAIN"}


@pytest.mark.django_db
def test_detailed_health_names_the_error_of_a_failing_dependency(staff_client, broker_down):
    response = staff_client("operations").get("/api/v1/health/detailed")

    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False
    assert "connect" in broker["error"].lower() or "refused" in broker["error"].lower()


@pytest.mark.django_db
def test_detailed_health_refuses_a_customer_with_403(auth_client):
    response = auth_client.get("/api/v1/health/detailed")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "permission_denied"


@pytest.mark.django_db
def test_detailed_health_refuses_staff_without_mfa_with_403(make_staff):
    client = client_for(make_staff("auditor"), mfa=False)

    response = client.get("/api/v1/health/detailed")

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


@pytest.mark.django_db
def test_detailed_health_without_a_token_is_401(api_client):
    response = api_client.get("/api/v1/health/detailed")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_ops_endpoints_refuse_writes_with_405(api_client):
    for path in ("/api/v1/ping", "/api/v1/health", "/api/v1/readiness"):
        response = api_client.post(path, {}, format="json")
        assert response.status_code == 405, path
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "method_not_allowed"


def _metric_value(text: str, name: str, **labels) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.django_db
def test_metrics_count_requests_by_route_and_status(client):
    before = _metric_value(
        client.get("/metrics").content.decode(),
        "blockscore_http_requests_total",
        method="GET",
        route="/api/v1/ping",
        status="200",
    )

    client.get("/api/v1/ping")
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    after = _metric_value(text, "blockscore_http_requests_total", method="GET", route="/api/v1/ping", status="200")
    assert after == before + 1
    assert "blockscore_http_request_duration_seconds_bucket" in text


@pytest.mark.django_db
def test_metrics_label_unknown_paths_as_unmatched(client):
    client.get("/api/v1/no-such-thing-12345")

    text = client.get("/metrics").content.decode()

    assert "no-such-thing-12345" not in text
    assert _metric_value(text, "blockscore_http_requests_total", route="unmatched", status="404") >= 1


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="s3cret-scrape-token")
def test_metrics_token_is_required_when_configured(client):
    missing = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")

    assert missing.status_code == 401
    assert missing["Content-Type"] == "application/problem+json"
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert "blockscore_http_requests_total" in right.content.decode()


@pytest.mark.django_db
def test_metrics_do_not_grow_a_series_per_invented_method(client):
    client.generic("FROBNICATE", "/api/v1/ping")

    text = client.get("/metrics").content.decode()

    assert "FROBNICATE" not in text
    assert _metric_value(text, "blockscore_http_requests_total", method="other", route="/api/v1/ping") >= 1


@pytest.mark.django_db
def test_metrics_refuses_other_methods(client):
    response = client.post("/metrics")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "GET, HEAD"

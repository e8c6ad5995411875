"""Operations endpoints: liveness, readiness, health of each dependency, metrics."""

import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore import metrics
from blockscore.api.errors import problem_response
from blockscore.api.permissions import IsStaffWithMfa


def check_database() -> dict:
    started = time.perf_counter()
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_cache() -> dict:
    started = time.perf_counter()
    key = "health:probe"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_broker() -> dict:
    from blockscore.celery import app

    started = time.perf_counter()
    # Bounded: a broker that refuses answers in well under a second, one that drops
    # packets costs at most the connect timeout, never kombu's default retry loop.
    with app.connection_for_write(connect_timeout=2) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0.1, interval_step=0.1, timeout=2)
    return {
        "ok": True,
        "transport": app.conf.broker_url.split(":", 1)[0],
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def check_migrations() -> dict:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} unapplied migration(s)")
    return {"ok": True}


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker, "migrations": check_migrations}


def run_checks(names) -> tuple[bool, dict]:
    results = {}
    for name in names:
        try:
            results[name] = CHECKS[name]()
        except Exception as exc:  # a health check reports every failure, whatever it is
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return all(result["ok"] for result in results.values()), results


_check = inline_serializer("HealthCheck", {"ok": serializers.BooleanField()})
_health = inline_serializer(
    "Health",
    {"status": serializers.ChoiceField(choices=["ok", "fail"]), "checks": serializers.DictField(child=_check)},
)


class PublicOpsView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class PingView(PublicOpsView):
    @extend_schema(
        tags=["ops"],
        summary="Liveness: the process answers.",
        responses=inline_serializer("Ping", {"ping": serializers.CharField()}),
    )
    def get(self, request):
        return Response({"ping": "pong"})


class HealthView(PublicOpsView):
    checks = ("database", "cache", "broker", "migrations")

    @extend_schema(
        tags=["ops"],
        summary="Health of the database, cache, broker and migrations; 503 names the failing part.",
        responses={200: _health, 503: OpenApiResponse(_health, description="A dependency is down.")},
    )
    def get(self, request):
        healthy, results = run_checks(self.checks)
        # Public callers see which part fails, not the error text (that is in health/detailed).
        body = {
            "status": "ok" if healthy else "fail",
            "checks": {name: {"ok": result["ok"]} for name, result in results.items()},
        }
        return Response(body, status=200 if healthy else 503)


class ReadinessView(HealthView):
    """Ready to take traffic: the database answers and the schema is current."""

    checks = ("database", "migrations")

    @extend_schema(
        tags=["ops"],
        summary="Readiness: database reachable and migrations applied.",
        responses={200: _health, 503: OpenApiResponse(_health, description="Not ready.")},
    )
    def get(self, request):
        return super().get(request)


class DetailedHealthView(APIView):
    permission_classes = [IsStaffWithMfa]
    throttle_scope = "staff"

    @extend_schema(
        tags=["ops"],
        summary="(staff) Health with latencies, errors, versions and the last job runs.",
        responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        import django

        from blockscore.models import JobRun

        healthy, results = run_checks(CHECKS)
        last_runs = {}
        for name in JobRun.objects.order_by().values_list("name", flat=True).distinct():
            run = JobRun.objects.filter(name=name).first()
            last_runs[name] = {
                "status": run.status,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "counts": run.counts,
            }
        body = {
            "status": "ok" if healthy else "fail",
            "checks": results,
            "versions": {"django": django.get_version()},
            "database_vendor": connections[DEFAULT_DB_ALIAS].vendor,
            "flags": {
                "ENABLE_MFA": settings.ENABLE_MFA,
                "ENABLE_RATE_LIMITING": settings.ENABLE_RATE_LIMITING,
                "ENABLE_BLOCKCHAIN": settings.ENABLE_BLOCKCHAIN,
            },
            "last_job_runs": last_runs,
        }
        return Response(body, status=200 if healthy else 503)


def metrics_view(request):
    """Prometheus exposition. With METRICS_TOKEN set, a matching bearer token is required."""
    if request.method not in ("GET", "HEAD"):
        response = problem_response(request, 405, "method_not_allowed", f'Method "{request.method}" not allowed.')
        response["Allow"] = "GET, HEAD"
        return response
    token = settings.METRICS_TOKEN
    if token:
        presented = request.headers.get("Authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(presented, f"Bearer {token}".encode()):
            response = problem_response(request, 401, "not_authenticated", "A metrics token is required.")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    payload, content_type = metrics.render()
    return HttpResponse(payload, content_type=content_type)

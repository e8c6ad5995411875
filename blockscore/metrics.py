"""Prometheus metrics. With PROMETHEUS_MULTIPROC_DIR set (several gunicorn workers),
prometheus_client aggregates across processes on scrape."""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

REQUESTS = Counter("blockscore_http_requests_total", "HTTP requests handled", ["method", "route", "status"])
LATENCY = Histogram(
    "blockscore_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOB_RUNS = Counter("blockscore_job_runs_total", "Scheduled job runs", ["job", "status"])
SECURITY_EVENTS = Counter("blockscore_security_events_total", "Security events recorded", ["event_type"])


# Label values must come from a small set: a client can send any method name, and each
# new value would be a new time series kept for the life of the process.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = DEFAULT_REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST

"""Benchmark: audit chain writes and verification, login and health latency.

Runs against a throw-away test database (created and destroyed here) on whatever
database DATABASE_URL names (SQLite under a temp folder when unset):

    .venv/bin/python benchmarks/auth_audit.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/blockscore .venv/bin/python benchmarks/auth_audit.py

It prints figures; it asserts nothing.
"""

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("BLOCKSCORE_VAR_DIR", tempfile.mkdtemp(prefix="blockscore-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blockscore.settings.local")
os.environ["ENABLE_RATE_LIMITING"] = "false"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def timed(label, fn, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    print(
        f"{label:<44} p50 {statistics.median(samples):8.2f} ms   p95 {percentile(samples, 95):8.2f} ms   (n={repeat})"
    )


def main():
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run():
    from django.test import Client

    from accounts import services
    from audit.services import audit_chain_verify, audit_event_record

    print(f"database: {connection.vendor}")
    user = services.user_register(email="bench@example.com", password="Bench-Passphrase-2026")

    count = 2000
    started = time.perf_counter()
    for n in range(count):
        audit_event_record(action="profile.updated", actor=user, target=user, changes={"city": {"after": f"c{n}"}})
    elapsed = time.perf_counter() - started
    print(f"audit writes, 1 thread                       {count / elapsed:8.0f} events/s")

    threads, per_thread = 4, 250

    def writer():
        try:
            for n in range(per_thread):
                audit_event_record(action="profile.updated", actor=user, target=user, changes={"n": n})
        finally:
            connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    print(f"audit writes, {threads} threads (one chain)            {threads * per_thread / elapsed:8.0f} events/s")

    started = time.perf_counter()
    checked, broken = audit_chain_verify()
    elapsed = time.perf_counter() - started
    rate = checked / elapsed
    print(f"verify_audit_chain                           {rate:8.0f} events/s ({checked} events, broken={broken})")

    client = Client()
    body = {"email": "bench@example.com", "password": "Bench-Passphrase-2026"}
    timed(
        "POST auth/login (Argon2id, production hasher)",
        lambda: client.post("/api/v1/auth/login", body, content_type="application/json"),
        30,
    )
    access = client.post("/api/v1/auth/login", body, content_type="application/json").json()["tokens"]["access"]
    timed(
        "GET auth/me (JWT auth + revocation check)",
        lambda: client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}"),
        200,
    )
    timed("GET health (db, cache, broker, migrations)", lambda: client.get("/api/v1/health"), 50)
    timed("GET ping", lambda: client.get("/api/v1/ping"), 200)


if __name__ == "__main__":
    main()

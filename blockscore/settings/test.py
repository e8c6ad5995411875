"""Test settings: the same stack as base (DATABASE_URL/REDIS_URL honoured), made fast."""

from .base import *  # noqa: F401,F403

ENVIRONMENT = "test"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process in unit tests (the real task code, no broker needed); the worker
# integration test (tests/test_celery_worker.py) turns this off and goes through a broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Test transactions are invisible to other threads' connections: the nightly rescoring
# runs its batches in the calling thread (a transactional test covers the threads).
NIGHTLY_RESCORE_WORKERS = 1
# Audit events are chained by the committing thread right after its commit, so a test
# sees them chained when its call returns (audit/tests covers the background chainer).
AUDIT_CHAIN_IN_BACKGROUND = False

"""The embedded default: SQLite under var/, process-memory cache, file-system Celery broker."""

from .base import *  # noqa: F401,F403

"""Typed access to configuration in the environment.

Every setting of the project is read through these helpers so that a missing or
malformed value fails loudly at start-up instead of misbehaving later. A secret may
also be given as ``NAME_FILE`` pointing at a file that holds it (Docker/Kubernetes
secrets), which wins over ``NAME``.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_limits(name: str, default: str) -> dict[str, tuple[str, str]]:
    """Per-currency limit pairs, "CUR=per_transaction/per_day,..." (major units, as strings)."""
    limits = {}
    for item in env_list(name, default):
        code, _, pair = item.partition("=")
        per_transaction, _, per_day = pair.partition("/")
        limits[code] = (per_transaction, per_day)
    return limits

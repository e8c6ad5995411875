"""Atomic fixed-window counters in the cache.

DRF's own throttles read a history list, decide, then write it back: two requests
in parallel can both pass. Here the decision is taken on the value returned by an
atomic ``INCR`` (Redis in production; a locked dict in process memory locally), so
N parallel requests against a limit of L let exactly L through.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Hit:
    allowed: bool
    count: int
    limit: int
    retry_after: int


def _window_key(key: str, window: int, now: float) -> tuple[str, int]:
    bucket = int(now // window)
    retry_after = max(1, int(window - (now % window)))
    return f"rl:{key}:{window}:{bucket}", retry_after


def hit(key: str, *, limit: int, window: int) -> Hit:
    """Count one event under ``key`` and say whether it is within ``limit`` per ``window`` seconds."""
    cache_key, retry_after = _window_key(key, window, time.time())
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The key expired between add() and incr(); start the window again.
        cache.add(cache_key, 0, timeout=window + 1)
        count = cache.incr(cache_key)
    return Hit(allowed=count <= limit, count=count, limit=limit, retry_after=retry_after)


def count(key: str, *, window: int) -> int:
    cache_key, _ = _window_key(key, window, time.time())
    return int(cache.get(cache_key, 0))


def reset(key: str, *, window: int) -> None:
    cache_key, _ = _window_key(key, window, time.time())
    cache.delete(cache_key)


def parse_rate(rate: str) -> tuple[int, int]:
    """'20/minute' -> (20, 60)."""
    count_text, _, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0]]
    return int(count_text), seconds


def undo(key: str, *, window: int) -> None:
    """Take back one counted event (e.g. an attempt that turned out to succeed)."""
    cache_key, _ = _window_key(key, window, time.time())
    try:
        cache.decr(cache_key)
    except ValueError:
        pass

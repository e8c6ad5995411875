"""Helpers for tests that need real concurrency (threads on the real database and cache)."""

import threading
from collections.abc import Callable

from django.db import connection


def run_in_parallel(count: int, call: Callable[[int], object], *, timeout: float = 120) -> list:
    """Start ``count`` threads at once (behind a barrier); each runs ``call(index)``.

    Returns each thread's result, or the exception it raised, in index order. Each
    thread closes its own database connection.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call(index)
        except Exception as exc:  # handed to the caller, who asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results

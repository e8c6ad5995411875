"""Queue Celery work only once the surrounding transaction has committed.

A task queued inside an open transaction can run before the rows it needs exist, or
after they were rolled back. ``enqueue`` defers publishing to ``on_commit`` (and
publishes at once when no transaction is open). Tasks are looked up by name so a
service never imports its own app's task module (which imports the service).

``Batcher`` is for work queued on a hot path (after every ledger posting): items
committed within a short window go out as one task with a list, so a transfer does not
pay for a broker round trip of its own.
"""

import atexit
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

_discovery = threading.Lock()


def task_named(task_name: str):
    from celery.exceptions import NotRegistered

    from blockscore.celery import app

    try:
        return app.tasks[task_name]
    except NotRegistered:
        # Outside a worker the apps' tasks modules are imported on first need
        # (autodiscovery is lazy, and not thread-safe); an unknown name still raises.
        with _discovery:
            app.loader.import_default_modules()
        return app.tasks[task_name]


def enqueue(task_name: str, *args, **kwargs) -> None:
    task = task_named(task_name)
    transaction.on_commit(lambda: task.delay(*args, **kwargs))


class Batcher:
    """One task for many items: each ``add``-ed item is buffered once its transaction
    commits, and the buffer goes out as ``task_name(items)`` at most ``delay`` seconds
    later, from a timer thread, or as soon as ``size`` items wait.

    Items still buffered when a process dies are lost (at exit the buffer is flushed):
    use it only where a periodic job catches up, as the daily monitoring batch does.
    With CELERY_TASK_ALWAYS_EAGER (tests, no worker) each item goes out at once."""

    def __init__(self, task_name: str, *, delay: float = 0.25, size: int = 200, send: Callable | None = None):
        self.task_name = task_name
        self.delay = delay
        self.size = size
        self._send = send or (lambda items: task_named(task_name).delay(items))
        self._items: list = []
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        atexit.register(self.flush)

    def add(self, item) -> None:
        transaction.on_commit(lambda: self._put(item))

    def _put(self, item) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self._send([item])
            return
        with self._lock:
            self._items.append(item)
            full = len(self._items) >= self.size
            if not full and self._timer is None:
                self._timer = threading.Timer(self.delay, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            items, self._items = self._items, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if items:
            self._send(items)

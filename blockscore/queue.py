"""Queue Celery work only once the surrounding transaction has committed.

A task queued inside an open transaction can run before the rows it needs exist, or
after they were rolled back. ``enqueue`` defers publishing to ``on_commit`` (and
publishes at once when no transaction is open). Tasks are looked up by name so a
service never imports its own app's task module (which imports the service).
"""

import threading

from django.db import transaction

_discovery = threading.Lock()


def enqueue(task_name: str, *args, **kwargs) -> None:
    from celery.exceptions import NotRegistered

    from blockscore.celery import app

    try:
        task = app.tasks[task_name]
    except NotRegistered:
        # Outside a worker the apps' tasks modules are imported on first need
        # (autodiscovery is lazy, and not thread-safe); an unknown name still raises.
        with _discovery:
            app.loader.import_default_modules()
        task = app.tasks[task_name]
    transaction.on_commit(lambda: task.delay(*args, **kwargs))

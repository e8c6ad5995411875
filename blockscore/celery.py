"""The Celery app. Broker: Redis when REDIS_URL is set, else an embedded file-system
broker under var/celery (see settings). Beat uses django-celery-beat's DatabaseScheduler,
its schedule synced from blockscore.schedule by ``manage.py setup_periodic_tasks``."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blockscore.settings.local")

app = Celery("blockscore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _bind_request_context(task_id=None, task=None, **kwargs):
    # Log lines and audit records of a task carry its id as their request id.
    from blockscore import request_context

    task.request.blockscore_context_token = request_context.activate(
        request_context.RequestContext(request_id=f"task-{task_id}", user_agent=f"celery:{task.name}")
    )


@task_postrun.connect
def _unbind_request_context(task=None, **kwargs):
    from blockscore import request_context

    token = getattr(task.request, "blockscore_context_token", None)
    if token is not None:
        request_context.deactivate(token)

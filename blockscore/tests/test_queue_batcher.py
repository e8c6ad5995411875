"""Batcher: items committed close together go out as one task; rolled-back ones never."""

import threading

import pytest
from django.db import transaction

from blockscore.queue import Batcher

pytestmark = pytest.mark.django_db(transaction=True)


def test_items_committed_together_go_out_once(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the buffered path, as with a real broker
    sent: list[list] = []
    done = threading.Event()
    batcher = Batcher("unused", delay=0.2, send=lambda items: (sent.append(items), done.set()))

    for item in (1, 2, 3):
        with transaction.atomic():
            batcher.add(item)
    with pytest.raises(RuntimeError), transaction.atomic():
        batcher.add(4)
        raise RuntimeError("rolled back")

    assert sent == []  # nothing before the window closes
    assert done.wait(5)
    assert sent == [[1, 2, 3]]


def test_a_full_buffer_goes_out_at_once(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[list] = []
    batcher = Batcher("unused", delay=30, size=2, send=sent.append)

    for item in ("a", "b", "c"):
        with transaction.atomic():
            batcher.add(item)

    assert sent == [["a", "b"]]
    batcher.flush()
    assert sent == [["a", "b"], ["c"]]


def test_eager_mode_sends_each_item_at_commit(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    sent: list[list] = []
    batcher = Batcher("unused", send=sent.append)

    with transaction.atomic():
        batcher.add(7)
        assert sent == []

    assert sent == [[7]]

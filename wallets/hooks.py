"""Listeners told of every posted journal entry.

wallets knows nothing of transaction monitoring; compliance registers a listener here in
its ``AppConfig.ready()`` and is told of each entry from inside the posting's
transaction. A listener must not write to the ledger and should defer its work until
the commit (``blockscore.queue.enqueue``), so that a rolled-back entry is never seen.
"""

from collections.abc import Callable

EntryListener = Callable[[object], None]
_listeners: dict[str, EntryListener] = {}


def register_entry_posted_listener(name: str, listener: EntryListener) -> None:
    _listeners[name] = listener


def registered_listeners() -> dict[str, EntryListener]:
    return dict(_listeners)


def entry_posted(entry) -> None:
    for _name, listener in sorted(_listeners.items()):
        listener(entry)

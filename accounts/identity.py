"""Listeners for changes to who a customer says they are (name, date of birth).

accounts sits at the bottom of the layers and knows nothing of sanctions screening;
compliance registers here (``AppConfig.ready``) to rescreen a customer whose name or date
of birth changed. Listeners are called inside the change's transaction and should queue
their work after commit (blockscore.queue.enqueue).
"""

from collections.abc import Callable

IDENTITY_FIELDS = frozenset({"first_name", "last_name", "date_of_birth"})
IdentityListener = Callable[[object, set[str]], None]
_listeners: dict[str, IdentityListener] = {}


def register_identity_change_listener(name: str, listener: IdentityListener) -> None:
    _listeners[name] = listener


def identity_changed(user, fields) -> None:
    changed = set(fields) & IDENTITY_FIELDS
    if not changed:
        return
    for _name, listener in sorted(_listeners.items()):
        listener(user, changed)

"""The audit hook for the layers below ``audit``.

``accounts`` (and this project package) sit below ``audit`` and may not import it,
yet logins, registrations and throttling must be recorded. They call the functions
here; the ``audit`` app registers its recorder in ``AppConfig.ready()``. Calling them
with no recorder registered is a configuration error, never a silent no-op: an
unaudited security action must not happen.
"""

from typing import Any, Protocol


class Recorder(Protocol):
    def record_audit(
        self,
        *,
        action: str,
        actor: Any = None,
        target: Any = None,
        target_type: str = "",
        target_id: str = "",
        changes: dict | None = None,
        metadata: dict | None = None,
    ) -> Any: ...

    def record_security_event(
        self,
        *,
        event_type: str,
        user: Any = None,
        email: str = "",
        details: dict | None = None,
    ) -> Any: ...


_recorder: Recorder | None = None


def register_recorder(recorder: Recorder) -> None:
    global _recorder
    _recorder = recorder


def _get() -> Recorder:
    if _recorder is None:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("No audit recorder is registered: is the 'audit' app installed?")
    return _recorder


def record_audit(**kwargs) -> Any:
    return _get().record_audit(**kwargs)


def record_security_event(**kwargs) -> Any:
    return _get().record_security_event(**kwargs)

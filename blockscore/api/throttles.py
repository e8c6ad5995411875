"""Throttles by scope on the atomic cache counter (see blockscore.ratelimit).

A view names its scope with ``throttle_scope``; rates come from settings.THROTTLE_RATES
at request time, so they can be changed per environment (and per test). Everything is
off when ENABLE_RATE_LIMITING is false.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from blockscore import auditing, ratelimit, request_context
from blockscore.exceptions import TooManyRequests


class DefaultScopeThrottle(BaseThrottle):
    """Throttle on the view's ``throttle_scope``, or 'user'/'anon' when it has none."""

    def get_scope(self, request, view) -> str:
        scope = getattr(view, "throttle_scope", None)
        if scope:
            return scope
        return "user" if request.user and request.user.is_authenticated else "anon"

    def get_ident(self, request) -> str:
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{request_context.current().ip or 'unknown'}"

    def allow_request(self, request, view) -> bool:
        if not settings.ENABLE_RATE_LIMITING:
            return True
        scope = self.get_scope(request, view)
        rate = settings.THROTTLE_RATES.get(scope)
        if not rate:
            return True
        limit, window = ratelimit.parse_rate(rate)
        result = ratelimit.hit(f"throttle:{scope}:{self.get_ident(request)}", limit=limit, window=window)
        if not result.allowed:
            if result.count == limit + 1:  # once per window, not on every refused request
                auditing.record_security_event(
                    event_type="rate_limit_exceeded",
                    user=request.user if request.user.is_authenticated else None,
                    details={"scope": scope, "path": request.path},
                )
            raise TooManyRequests(retry_after=result.retry_after)
        return True

"""The WSGI handler: Django's, with a shorter middleware chain for the REST API.

The staff console (the Django admin) needs sessions, CSRF protection, session
authentication, OTP and messages. The API under ``/api/`` uses none of them: every
request authenticates with its bearer token (``accounts.authentication``), its views
are CSRF-exempt, and DRF sets ``request.user`` once it has authenticated. Running those
middleware anyway cost each API request a twentieth of its CPU (message storage alone
builds a cookie signer). So API requests go through ``settings.API_MIDDLEWARE``:
``MIDDLEWARE`` without the console-only ones, everything else (request ids, security
headers, CORS, metrics, the body cap, Content-Length, X-Frame-Options) in the same
order. Everything else goes through ``MIDDLEWARE``.

Django's test client builds its own handler from ``MIDDLEWARE``; this one is what
gunicorn and the live test server run (``WSGI_APPLICATION``).
"""

from contextlib import contextmanager

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler

API_PREFIX = "/api/"


class _ChainHandler(BaseHandler):
    """A handler whose middleware chain is the given list instead of ``MIDDLEWARE``."""

    def __init__(self, middleware: list[str]):
        super().__init__()
        with _middleware_setting(middleware):
            self.load_middleware()


class ApiAwareWSGIHandler(WSGIHandler):
    def __init__(self):
        super().__init__()
        self.api = _ChainHandler(settings.API_MIDDLEWARE)

    def get_response(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.api.get_response(request)
        return super().get_response(request)


@contextmanager
def _middleware_setting(middleware: list[str]):
    """``load_middleware`` reads ``settings.MIDDLEWARE``: give it the list, once, while the
    handler is built (at start-up, before any request)."""
    original = settings.MIDDLEWARE
    settings.MIDDLEWARE = list(middleware)
    try:
        yield
    finally:
        settings.MIDDLEWARE = original

"""Request plumbing: request ids, body cap, security headers, metrics."""

import re
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from blockscore import metrics, request_context
from blockscore.api.errors import problem_response

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; X-Forwarded-For is believed only behind configured proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    """Accept a well-formed X-Request-ID or make one; return it on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else request_context.new_request_id()
        request.request_id = request_id
        token = request_context.activate(
            request_context.RequestContext(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:512],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.deactivate(token)
        response["X-Request-ID"] = request_id
        return response


class BodySizeLimitMiddleware:
    """Refuse a declared body above MAX_REQUEST_BODY_BYTES with 413 before reading it.

    Bodies sent without a Content-Length are capped while being read by Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE, which the API error handler also maps to 413.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(request, 400, "invalid_content_length", "Content-Length is not a number.")
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return problem_response(
                request,
                413,
                "payload_too_large",
                f"The request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes.",
            )
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Headers that Django's SecurityMiddleware does not set: CSP, Permissions-Policy, no-store."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path
        if path.startswith("/admin/"):
            response.setdefault("Content-Security-Policy", settings.ADMIN_CSP)
        elif path.startswith("/api/") and not path.startswith("/api/v1/docs"):
            response.setdefault("Content-Security-Policy", settings.API_CSP)
            response.setdefault("Cache-Control", "no-store")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.setdefault("X-Content-Type-Options", "nosniff")
        return response


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = "/" + match.route if match is not None and match.route else "unmatched"
        metrics.observe_request(request.method, route, response.status_code, time.perf_counter() - started)
        return response

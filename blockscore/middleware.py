"""Request plumbing: request ids, security headers, metrics and access log, body cap.

Order matters (see settings.MIDDLEWARE): the request id comes first so that every
response and log line has one; the security headers and CORS wrap everything that can
answer early (the body cap's 413, a 411), so those answers carry them too.
"""

import io
import ipaddress
import logging
import re
import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse

from blockscore import metrics, request_context
from blockscore.api.errors import problem_response

access_log = logging.getLogger("blockscore.request")

_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{8,128}")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; X-Forwarded-For is believed only behind configured proxies.

    Behind N trusted proxies the client is the N-th address from the right (the one the
    outermost trusted proxy appended); anything that is not an IP address is ignored,
    since the value keys lockouts and throttles and is stored with audit records.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidate = _ip_or_none(forwarded[-proxies])
            if candidate:
                return candidate
    return _ip_or_none(request.META.get("REMOTE_ADDR", ""))


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


class RequestIdMiddleware:
    """Accept a well-formed X-Request-ID or make one; return it on every response.

    Well-formed is 8 to 128 characters of ``[A-Za-z0-9._-]``, matched against the whole
    value (``fullmatch``: a trailing newline must not slip through into a header).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.fullmatch(incoming) else request_context.new_request_id()
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


class AnonymousUserMiddleware:
    """The API's stand-in for AuthenticationMiddleware (settings.API_MIDDLEWARE): no
    session to read a user from, so ``request.user`` is anonymous until DRF replaces it
    with the bearer token's user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = AnonymousUser()
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Headers that Django's SecurityMiddleware does not set: CSP, Permissions-Policy,
    no-store on the API, and X-Frame-Options also on answers given before
    XFrameOptionsMiddleware runs (e.g. a 413 from the body cap)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path
        if path.startswith("/admin/"):
            response.setdefault("Content-Security-Policy", settings.ADMIN_CSP)
        elif path.startswith("/api/v1/docs"):
            response.setdefault("Content-Security-Policy", settings.DOCS_CSP)
        elif path.startswith("/api/"):
            response.setdefault("Content-Security-Policy", settings.API_CSP)
            response.setdefault("Cache-Control", "no-store")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.setdefault("X-Content-Type-Options", "nosniff")
        if not getattr(response, "xframe_options_exempt", False):
            response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response


class MetricsMiddleware:
    """Prometheus request metrics and one structured access-log line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        # The route pattern, never the raw path: ids in paths would explode the label set.
        route = "/" + match.route if match is not None and match.route else "unmatched"
        metrics.observe_request(request.method, route, response.status_code, elapsed)
        if access_log.isEnabledFor(logging.INFO):
            user = getattr(request, "user", None)
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                    "user": str(user.public_id) if getattr(user, "is_authenticated", False) else None,
                    "ip": request_context.current().ip,
                },
            )
        return response


class BodySizeLimitMiddleware:
    """Refuse a body above MAX_REQUEST_BODY_BYTES (MAX_UPLOAD_BODY_BYTES on the upload
    paths, UPLOAD_PATH_PREFIXES) with 413 before it is read.

    - With a Content-Length, the declared size decides; nothing is read.
    - A chunked body (no Content-Length) that the server has de-chunked and terminated
      (gunicorn sets ``wsgi.input_terminated``) is read up to the cap plus one byte:
      over it is 413, under it becomes an ordinary body with a Content-Length, since
      Django would otherwise read a body without a length as empty.
    - A chunked body the server has not de-chunked (e.g. the development server) can
      not be read safely: 411 Length Required.
    Django's DATA_UPLOAD_MAX_MEMORY_SIZE, set to the same cap, is the second line.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY_BYTES
        if request.path.startswith(tuple(getattr(settings, "UPLOAD_PATH_PREFIXES", ()))):
            limit = settings.MAX_UPLOAD_BODY_BYTES  # file uploads (KYC documents); each file is capped again
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            refused = self._buffer_chunked(request, limit)
            if refused is not None:
                return refused
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return problem_response(request, 400, "invalid_content_length", "Content-Length is not a valid length.")
        if length > limit:
            return self._too_large(request, limit)
        return self.get_response(request)

    def _buffer_chunked(self, request: HttpRequest, limit: int) -> HttpResponse | None:
        if not request.META.get("wsgi.input_terminated"):
            return problem_response(request, 411, "length_required", "Send the body with a Content-Length header.")
        stream = request.META["wsgi.input"]
        body = bytearray()
        while len(body) <= limit:
            part = stream.read(min(65536, limit + 1 - len(body)))
            if not part:
                break
            body += part
        if len(body) > limit:
            return self._too_large(request, limit)
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = LimitedStream(io.BytesIO(bytes(body)), len(body))
        return None

    @staticmethod
    def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
        return problem_response(request, 413, "payload_too_large", f"The request body is larger than {limit} bytes.")

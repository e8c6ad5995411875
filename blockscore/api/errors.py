"""RFC 9457 problem details for every error the API returns.

One handler maps DRF's exceptions, simplejwt's and our ``DomainError`` to
``application/problem+json`` bodies::

    {"type": "urn:blockscore:problem:validation_error", "code": "validation_error",
     "title": "Invalid input", "status": 400, "detail": "...",
     "errors": {"field": ["..."]}, "request_id": "..."}

``code`` is stable and is what clients should branch on.
"""

import json
import logging
from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from blockscore.exceptions import DomainError, TooManyRequests

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

_DRF_CODES = {
    drf_exceptions.ParseError: "malformed_request",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "rate_limited",
}


def problem(status: int, code: str, detail: str, *, request_id: str = "", **extra) -> dict:
    body = {
        "type": f"urn:blockscore:problem:{code}",
        "code": code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    body["request_id"] = request_id
    return body


def problem_response(request, status: int, code: str, detail: str, **extra) -> HttpResponse:
    """A problem+json response for code running outside DRF (middleware, Django handlers)."""
    body = problem(status, code, detail, request_id=getattr(request, "request_id", ""), **extra)
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)


def _flatten_detail(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten_detail(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(_flatten_detail(item) for item in detail.values())
    return str(detail)


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {key: value if isinstance(value, (list, dict)) else [value] for key, value in detail.items()}
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def exception_handler(exc, context):
    request = context.get("request")
    request_id = getattr(request, "request_id", "") if request is not None else ""
    headers = {}

    if isinstance(exc, DomainError):
        status, code, detail = exc.status_code, exc.code, exc.detail
        extra = dict(exc.extra)
        if isinstance(exc, TooManyRequests) and exc.retry_after:
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, (InvalidToken, TokenError)):
        status, code, detail, extra = 401, "token_not_valid", "The token is invalid or expired.", {}
    elif isinstance(exc, drf_exceptions.ValidationError):
        status, code, detail = 400, "validation_error", "Invalid input."
        extra = {"errors": _field_errors(exc.detail)}
    elif isinstance(exc, RequestDataTooBig):
        status, code, detail, extra = 413, "payload_too_large", "The request body is too large.", {}
    elif isinstance(exc, Http404):
        status, code, detail, extra = 404, "not_found", "Not found.", {}
    elif isinstance(exc, DjangoPermissionDenied):
        status, code, detail, extra = 403, "permission_denied", "You do not have permission to perform this action.", {}
    elif isinstance(exc, drf_exceptions.APIException):
        status = exc.status_code
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None) or str(
            getattr(exc, "default_code", "error")
        )
        detail = _flatten_detail(exc.detail)
        extra = {}
        if isinstance(exc, drf_exceptions.Throttled) and exc.wait:
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, (drf_exceptions.NotAuthenticated, drf_exceptions.AuthenticationFailed)):
            auth_header = _authenticate_header(context)
            if auth_header:
                headers["WWW-Authenticate"] = auth_header
    else:
        return None  # a bug: Django's 500 handler answers (also problem+json, see urls.handler500)

    if status == 401 and "WWW-Authenticate" not in headers:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    body = problem(status, code, detail, request_id=request_id, **extra)
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _authenticate_header(context) -> str | None:
    view = context.get("view")
    request = context.get("request")
    if view is None or request is None:
        return None
    return view.get_authenticate_header(request)


def handler404(request, exception=None):
    return problem_response(request, 404, "not_found", "Not found.")


def handler500(request):
    logger.error("unhandled error", extra={"path": request.path})
    return problem_response(request, 500, "server_error", "An unexpected error occurred.")


def handler400(request, exception=None):
    return problem_response(request, 400, "bad_request", "Bad request.")


def handler403(request, exception=None):
    return problem_response(request, 403, "permission_denied", "Forbidden.")

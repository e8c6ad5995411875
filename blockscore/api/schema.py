"""OpenAPI: every operation documents the problem+json errors it can answer.

The error shapes come from one handler (blockscore.api.errors) and most of them from
plumbing every view shares (authentication, permissions, throttles, the JSON parser,
the body cap), so ``AutoSchema`` adds them to each operation from what the view is
made of, rather than each view repeating them:

=====  ==========================================================================
400    always (malformed or invalid input; a bad Host header)
401    the view reads credentials (it has authentication classes)
403    the view needs an authenticated user
404    the path names an object, or the list is paginated (a page past the end)
406    always (an Accept header naming no JSON)
413    the operation takes a body (the body cap)
415    the operation takes a body (JSON only)
429    the view is throttled
=====  ==========================================================================

An operation decorated with ``blockscore.idempotency.idempotent_post`` (a money-moving
POST) also documents its required ``Idempotency-Key`` header, the 409 (still in
progress, with ``Retry-After``) and 422 (key reused) answers, the two key errors among
its 400s, and the ``Idempotent-Replayed`` header on its successes.

A view documents its own domain errors (``409: OpenApiResponse(description=...)``,
a 401 from a public endpoint that checks a password or a code); any error response
documented without a body gets the problem+json body here. Every response documents
``X-Request-ID``; a 401 documents ``WWW-Authenticate`` and a 429 ``Retry-After``.
"""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_doc
from rest_framework.permissions import AllowAny

from blockscore.api.errors import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "description": "URI identifying the problem type."},
        "code": {"type": "string", "description": "Stable machine-readable error code."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Field errors, by field name (validation errors only).",
            "additionalProperties": True,
        },
        "request_id": {"type": "string"},
    },
    "required": ["type", "code", "title", "status", "detail", "request_id"],
}

_DESCRIPTIONS = {
    "400": "Invalid input (code `validation_error`, `malformed_request`, ...).",
    "401": "Missing, invalid or expired credentials.",
    "403": "Authenticated but not allowed (role, MFA).",
    "404": "No such object, or it belongs to someone else.",
    "406": "The Accept header names no format this endpoint offers.",
    "413": "The request body is too large.",
    "415": "The request body is not JSON.",
    "429": "Rate limit or lockout; see Retry-After.",
}

_PROBLEM_CONTENT = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}

_HEADERS = {
    "X-Request-ID": {
        "description": "The request id: the caller's X-Request-ID when well formed, else a new one.",
        "required": True,
        "schema": {"type": "string"},
    },
}
_HEADERS_BY_STATUS = {
    "401": {
        "WWW-Authenticate": {
            "description": "The scheme to authenticate with (`Bearer`).",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


_IDEMPOTENCY_RESPONSES = {
    "400": "A missing or malformed `Idempotency-Key` (`idempotency_key_required`, `idempotency_key_invalid`).",
    "409": "A request with this `Idempotency-Key` is still in progress (`idempotency_request_in_progress`); "
    "retry after `Retry-After` seconds.",
    "422": "This `Idempotency-Key` was used for a different request (`idempotency_key_reused`).",
}


def _idempotency_parameter() -> dict:
    from django.conf import settings

    from blockscore import idempotency  # imports models: not at settings-import time

    ttl = int(getattr(settings, "IDEMPOTENCY_TTL_SECONDS", idempotency.DEFAULT_TTL_SECONDS))
    lifetime = f"{ttl // 3600} hours" if ttl % 3600 == 0 else f"{ttl} seconds"
    return {
        "in": "header",
        "name": idempotency.HEADER,
        "required": True,
        "description": (
            "A fresh random value (e.g. a UUID) per operation, scoped to the caller. Retrying with the same key "
            "and the same request returns the stored response (marked `Idempotent-Replayed: true`) instead of "
            f"acting twice; the same key with another request is refused (422). Keys expire after {lifetime}."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": idempotency.KEY_PATTERN},
    }


_REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response of an earlier request with the same key.",
        "required": False,
        "schema": {"type": "string", "enum": ["true"]},
    }
}


class AutoSchema(BaseAutoSchema):
    def get_description(self) -> str:
        """The handler's docstring, or one written on the view class itself.

        drf-spectacular falls back to a base class's docstring, which published notes
        for developers ("For ListAPIView subclasses: set csv_columns...") as the
        description of every view that inherits them.
        """
        if "description" in getattr(self.view, "_spectacular_annotation", {}):
            return super().get_description()
        handler = self._handler()
        own_doc = self.view.__class__.__dict__.get("__doc__")
        return get_doc(handler) or (get_doc(self.view.__class__) if own_doc else "")

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        registry.register_on_missing(
            ResolvedComponent(name="Problem", type=ResolvedComponent.SCHEMA, object="Problem", schema=PROBLEM_SCHEMA)
        )
        responses = operation.setdefault("responses", {})
        for status in self._problem_statuses(path, operation):
            responses.setdefault(status, {"description": _DESCRIPTIONS[status]})
        if getattr(self._handler(), "idempotent", False):
            self._document_idempotency(operation, responses)
        for status, response in responses.items():
            if "$ref" in response:
                continue
            if status.isdigit() and int(status) >= 400 and not response.get("content"):
                response["content"] = _PROBLEM_CONTENT
            headers = response.setdefault("headers", {})
            for name, header in {**_HEADERS, **_HEADERS_BY_STATUS.get(status, {})}.items():
                headers.setdefault(name, header)
        return operation

    def _problem_statuses(self, path: str, operation: dict) -> list[str]:
        view = self.view
        statuses = ["400", "406"]
        if view.get_authenticators():
            statuses.append("401")
        if any(not isinstance(permission, AllowAny) for permission in view.get_permissions()):
            statuses.append("403")
        has_page = any(parameter.get("name") == "page" for parameter in operation.get("parameters", []))
        if "{" in path or has_page:
            statuses.append("404")
        if "requestBody" in operation or self.method in {"POST", "PUT", "PATCH"}:
            statuses += ["413", "415"]
        if view.get_throttles():
            statuses.append("429")
        return statuses

    def _handler(self):
        return getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)

    def _document_idempotency(self, operation: dict, responses: dict) -> None:
        parameter = _idempotency_parameter()
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name") == parameter["name"] for p in parameters):
            parameters.append(parameter)
        view_documents_409 = "409" in responses  # a domain 409 of the view's own may come without Retry-After
        for status, description in _IDEMPOTENCY_RESPONSES.items():
            response = responses.setdefault(status, {})
            if "$ref" not in response:
                response["description"] = " Also: ".join(filter(None, [response.get("description"), description]))
        if "$ref" not in responses["409"]:
            responses["409"].setdefault("headers", {})["Retry-After"] = {
                **_HEADERS_BY_STATUS["429"]["Retry-After"],
                "required": not view_documents_409,
            }
        for status, response in responses.items():
            if status.startswith("2") and "$ref" not in response:
                response.setdefault("headers", {}).update(_REPLAYED_HEADER)

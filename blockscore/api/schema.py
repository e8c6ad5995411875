"""OpenAPI: every operation documents its problem+json errors.

The error shapes come from one handler (blockscore.api.errors), so they are added to
every operation by a post-processing hook rather than repeated on each view.
"""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

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


class AutoSchema(BaseAutoSchema):
    pass


def _problem_response(code: str) -> dict:
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def add_problem_responses(result, generator, request, public):
    """drf-spectacular post-processing hook."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "406", "429"]
            secured = any(requirement for requirement in operation.get("security", [{}]))
            if secured:
                codes += ["401", "403"]
            if "{" in path or secured:
                codes.append("404")
            if "requestBody" in operation or method in {"post", "put", "patch"}:
                codes += ["413", "415"]
            for code in codes:
                responses.setdefault(code, _problem_response(code))
    return result

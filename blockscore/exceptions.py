"""The one domain exception type.

Services raise a ``DomainError`` subclass with a stable machine-readable ``code``, a
human message and an HTTP status. The API's exception handler turns it into RFC 9457
problem details; admin actions show the message. Codes are a public contract: never
rename one, add a new one.
"""


class DomainError(Exception):
    code = "error"
    status_code = 400
    default_detail = "The request could not be completed."

    def __init__(self, detail: str | None = None, *, code: str | None = None, extra: dict | None = None):
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(self.detail)


class NotFound(DomainError):
    code = "not_found"
    status_code = 404
    default_detail = "Not found."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status_code = 403
    default_detail = "You do not have permission to perform this action."


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
    default_detail = "The request conflicts with the current state."


class ValidationFailed(DomainError):
    code = "validation_error"
    status_code = 400
    default_detail = "Invalid input."


class TooManyRequests(DomainError):
    code = "rate_limited"
    status_code = 429
    default_detail = "Too many requests. Try again later."

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, code: str | None = None):
        super().__init__(detail, code=code)
        self.retry_after = retry_after

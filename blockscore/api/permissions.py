"""Staff permissions for the API.

A staff endpoint needs: an active staff user, a token that passed MFA (when
ENABLE_MFA is on: the ``mfa`` claim set by ``auth/login/mfa``), and the Django model
permission(s) the view names in ``required_permissions``. Roles are Django groups that
carry those permissions (see docs/permissions.md), so the console and the API agree.
An authenticated user refused here is recorded as an ``unauthorized_access`` event.
"""

from django.conf import settings
from rest_framework.permissions import BasePermission

from blockscore import auditing
from blockscore.exceptions import PermissionDenied


def token_passed_mfa(request) -> bool:
    token = getattr(request, "auth", None)
    try:
        return bool(token and token.get("mfa", False))
    except AttributeError:
        return False


class IsStaffWithMfa(BasePermission):
    message = "Staff access with MFA is required."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # 401: no credentials
        required = tuple(getattr(view, "required_permissions", ()))
        if not (user.is_active and user.is_staff and all(user.has_perm(perm) for perm in required)):
            self._record(request, "missing_role", required)
            return False
        if settings.ENABLE_MFA and not token_passed_mfa(request):
            self._record(request, "mfa_required", required)
            raise PermissionDenied("This action needs a session that passed MFA.", code="mfa_required")
        return True

    @staticmethod
    def _record(request, reason: str, required) -> None:
        auditing.record_security_event(
            event_type="unauthorized_access",
            user=request.user,
            details={"path": request.path, "method": request.method, "reason": reason, "required": list(required)},
        )

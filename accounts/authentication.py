"""Bearer JWT authentication that also honours revocation.

On top of simplejwt's signature/expiry checks (HS256 only, so ``alg: none`` and
forged tokens fail), a token is refused when its ``jti`` was revoked at logout or
its ``tv`` is older than the user's ``token_version``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts import tokens
from accounts.models import User
from blockscore import auditing, ratelimit, request_context


class JWTAuthentication(authentication.JWTAuthentication):
    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except InvalidToken:
            # Recorded at most a few times a minute per address: DRF throttles run after
            # authentication, so an anonymous flood must not fill the security log.
            ip = request_context.current().ip or "unknown"
            if ratelimit.hit(f"invalid-token-event:{ip}", limit=10, window=60).allowed:
                auditing.record_security_event(event_type="invalid_token", details={"path": request.path})
            raise

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if tokens.is_access_revoked(token.get("jti", "")):
            raise InvalidToken("Token has been revoked.")
        return token

    def get_user(self, validated_token):
        try:
            user = User.objects.get(public_id=validated_token["sub"])
        except (User.DoesNotExist, KeyError, ValueError, DjangoValidationError) as exc:
            raise InvalidToken("User not found.") from exc
        if not user.is_active or validated_token.get("tv") != user.token_version:
            raise InvalidToken("Token is no longer valid.")
        return user


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

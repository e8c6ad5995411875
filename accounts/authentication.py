"""Bearer JWT authentication that also honours revocation.

On top of simplejwt's signature/expiry checks (HS256 only, so ``alg: none`` and
forged tokens fail), a token is refused when its ``jti`` was revoked at logout or
its ``tv`` is older than the user's ``token_version``. The user and the revocation are
read in one query: every authenticated request pays for it.
"""

import threading
import uuid

from django.db import connection
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.utils import aware_utcnow

from accounts.models import RevokedAccessToken, User
from blockscore import auditing, ratelimit, request_context, sql


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
        """simplejwt's validation, remembered per exact token for the rest of its life.

        Checking a signature (and PyJWT's pure-Python checks of the encoding) costs more
        than the rest of authenticating; for one token string the outcome cannot change
        while the signing key does not (a new key means a restart), so a token seen valid
        is only checked again for expiry. Revocation and the user's state are looked up
        on every request (``get_user``); refused tokens are never remembered.
        """
        key = bytes(raw_token)
        token = _validated.get(key)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
                return token
            except TokenError:
                with _validated_lock:
                    _validated.pop(key, None)  # expired: validated again below, which refuses it
        token = super().get_validated_token(raw_token)
        with _validated_lock:
            if len(_validated) >= _VALIDATED_MAX:
                _validated.pop(next(iter(_validated)), None)  # the oldest remembered
            _validated[key] = token
        return token

    def get_user(self, validated_token):
        try:
            public_id = uuid.UUID(str(validated_token["sub"]))
        except (KeyError, ValueError) as exc:
            raise InvalidToken("User not found.") from exc
        user, revoked = _token_user(str(validated_token.get("jti", "")), public_id)
        if user is None:
            raise InvalidToken("User not found.")
        if revoked:
            raise InvalidToken("Token has been revoked.")
        if not user.is_active or validated_token.get("tv") != user.token_version:
            raise InvalidToken("Token is no longer valid.")
        return user


# Tokens seen valid (raw token -> validated token), oldest first; bounded.
_VALIDATED_MAX = 10_000
_validated: dict[bytes, object] = {}
_validated_lock = threading.Lock()

_USER_FIELDS = User._meta.concrete_fields
# The token's user, and whether the token was revoked (tokens.revoke_access), in one query.
_USER_SQL = (
    f"SELECT {', '.join('u.' + connection.ops.quote_name(field.column) for field in _USER_FIELDS)}, "
    f"EXISTS (SELECT 1 FROM {RevokedAccessToken._meta.db_table} r WHERE r.jti = %s) AS token_revoked "
    f"FROM {User._meta.db_table} u WHERE u.public_id = %s"
)


def _token_user(jti: str, public_id: uuid.UUID) -> tuple[User | None, bool]:
    """The user and whether the token is revoked; on PostgreSQL a prepared statement whose
    row is the model's columns as they are (elsewhere ``raw()``, which converts them)."""
    if not sql.prepared_enabled(connection):
        db_id = User._meta.get_field("public_id").get_db_prep_value(public_id, connection)
        found = list(User.objects.raw(_USER_SQL, [jti, db_id]))
        return (found[0], bool(found[0].token_revoked)) if found else (None, False)
    # The first statement of an authenticated request: it is the connection's health check.
    row = sql.execute_first(connection, _USER_SQL, [jti, public_id]).fetchone()
    if row is None:
        return None, False
    return User.from_db(connection.alias, [field.attname for field in _USER_FIELDS], row[:-1]), bool(row[-1])


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

"""JWT issue, rotation and revocation.

Claims on every token: ``sub`` (the user's public id), ``tv`` (the user's
``token_version`` when issued) and ``mfa`` (true when the session passed a second
factor). A token whose ``tv`` is behind the user's current version is dead: that is
how a password change or a deactivation ends every session at once. A single
session ends at logout: its refresh token is blacklisted and its access token's
``jti`` is revoked.
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.exceptions import InvalidRefreshToken
from accounts.models import RevokedAccessToken, User


def issue(user: User, *, mfa: bool) -> dict:
    refresh = RefreshToken.for_user(user)
    refresh["tv"] = user.token_version
    refresh["mfa"] = bool(mfa)
    access = refresh.access_token
    return {
        "access": str(access),
        "refresh": str(refresh),
        "token_type": "Bearer",
        "expires_in": int(access.lifetime.total_seconds()),
        "mfa": bool(mfa),
    }


def _user_of(token) -> User:
    try:
        user = User.objects.get(public_id=token["sub"])
    except (User.DoesNotExist, KeyError, ValueError, DjangoValidationError) as exc:
        raise InvalidRefreshToken() from exc
    if not user.is_active or token.get("tv") != user.token_version:
        raise InvalidRefreshToken()
    return user


def parse_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError as exc:
        raise InvalidRefreshToken() from exc


def rotate(raw: str) -> tuple[User, dict]:
    """Exchange a refresh token for a new pair; the old one is blacklisted.

    The blacklist row is created under a lock on the outstanding token, so two
    concurrent refreshes with the same token cannot both succeed.
    """
    refresh = parse_refresh(raw)
    user = _user_of(refresh)
    with transaction.atomic():
        outstanding = (
            OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=refresh["jti"]).order_by("pk").first()
        )
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise InvalidRefreshToken()
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError as exc:
            raise InvalidRefreshToken() from exc
    return user, issue(user, mfa=bool(refresh.get("mfa", False)))


def blacklist_refresh(raw: str, *, user: User) -> None:
    refresh = parse_refresh(raw)
    if str(refresh.get("sub")) != str(user.public_id):
        raise InvalidRefreshToken("The refresh token does not belong to this session.")
    refresh.blacklist()


def revoke_access(token: AccessToken) -> None:
    expires_at = datetime.fromtimestamp(token["exp"], UTC)
    RevokedAccessToken.objects.get_or_create(jti=token["jti"], defaults={"expires_at": expires_at})


def blacklist_all(user: User) -> int:
    """Blacklist every outstanding refresh token of the user (all sessions)."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    created = 0
    for token in outstanding:
        _, was_created = BlacklistedToken.objects.get_or_create(token=token)
        created += was_created
    return created

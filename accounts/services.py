"""Identity verbs: register, log in (password, MFA, magic link), sessions, MFA devices,
profile and preferences, and staff-side user changes.

Invariants kept here:

- Every state change and its audit record are written in one transaction.
- Failed logins are counted per account and per client address with an atomic
  counter taken *before* the password is checked, so parallel guesses cannot exceed
  the limit; a locked account and a missing one get the same answer.
- Ending sessions bumps ``token_version`` (all sessions) or revokes one token pair.
- Only hashes of magic-link and MFA-challenge tokens are stored.
"""

import hashlib
import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import exceptions, tokens
from accounts.identity import identity_changed
from accounts.models import MagicLink, MfaChallenge, Preferences, Profile, RevokedAccessToken, User
from blockscore import auditing, ratelimit, request_context
from blockscore.queue import enqueue

CUSTOMER_ROLE = "customer"
BACKUP_CODE_COUNT = 10
# A password hash computed when the account does not exist, so both paths cost the same.
_DUMMY_PASSWORD_HASH = make_password("blockscore-timing-equaliser")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return User.objects.normalize_email((email or "").strip()).lower()


def _diff(instance, before: dict, fields) -> dict:
    return {
        field: {"before": before[field], "after": getattr(instance, field)}
        for field in fields
        if before[field] != getattr(instance, field)
    }


# --- registration --------------------------------------------------------------------


@transaction.atomic
def user_register(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    email = normalise_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise exceptions.EmailTaken()
    candidate = User(email=email, first_name=first_name, last_name=last_name)
    _validate_password(password, candidate)
    try:
        with transaction.atomic():  # a savepoint: the unique constraint decides a parallel race
            user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
    except IntegrityError as exc:
        raise exceptions.EmailTaken() from exc
    Profile.objects.create(user=user)
    Preferences.objects.create(user=user)
    user.groups.add(Group.objects.get(name=CUSTOMER_ROLE))
    auditing.record_audit(action="user.registered", actor=user, target=user, changes={"email": {"after": email}})
    auditing.record_security_event(event_type="user_registered", user=user)
    return user


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise exceptions.WeakPassword(" ".join(exc.messages), extra={"errors": {"password": exc.messages}}) from exc


# --- login ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user: User
    tokens: dict | None = None
    mfa_token: str | None = None

    @property
    def mfa_required(self) -> bool:
        return self.mfa_token is not None


def _lock_keys(email: str) -> list[tuple[str, int]]:
    ip = request_context.current().ip or "unknown"
    return [
        (f"login:acct:{_sha256(email)}", settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT),
        (f"login:ip:{ip}", settings.LOGIN_FAILURE_LIMIT_PER_IP),
    ]


def _is_locked(key: str) -> bool:
    return cache.get(f"lock:{key}") is not None


def _lock(key: str) -> None:
    cache.set(f"lock:{key}", 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def login_password(*, email: str, password: str) -> LoginResult:
    """Check e-mail and password under the lockout rules; issue tokens or an MFA challenge."""
    user = credentials_check(email=email, password=password)
    return _complete_first_factor(user, method="password")


def credentials_check(*, email: str, password: str) -> User:
    """The first factor, for the API and the console alike: the user, or
    ``InvalidCredentials`` / ``LoginLocked``, counted under the lockout rules."""
    email = normalise_email(email)
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    # Take the attempt atomically before looking at the password.
    hits = [(key, ratelimit.hit(key, limit=limit, window=window)) for key, limit in _lock_keys(email)]
    if any(_is_locked(key) or not hit.allowed for key, hit in hits):
        raise exceptions.LoginLocked(retry_after=settings.LOGIN_LOCKOUT_SECONDS)

    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        User().set_password(password)  # same cost as a real check
        valid = False
    else:
        valid = user.check_password(password) and user.is_active
    if not valid:
        auditing.record_security_event(
            event_type="login_failed", user=user, email=email, details={"reason": "invalid_credentials"}
        )
        for key, hit in hits:
            if hit.count >= hit.limit:
                # Lock first, then start a fresh count for when the cool-off ends.
                _lock(key)
                ratelimit.reset(key, window=window)
                scope = "account" if ":acct:" in key else "ip"
                auditing.record_security_event(
                    event_type="account_locked", user=user, email=email, details={"scope": scope, "failures": hit.count}
                )
                if user is not None and scope == "account":
                    enqueue("accounts.send_security_notice", user.pk, "account_locked")
        raise exceptions.InvalidCredentials()

    # A success clears this account's failures; the address keeps only its failures.
    ratelimit.reset(hits[0][0], window=window)
    ratelimit.undo(hits[1][0], window=window)
    return user


def _complete_first_factor(user: User, *, method: str) -> LoginResult:
    if settings.ENABLE_MFA and user_has_totp(user):
        raw = secrets.token_urlsafe(32)
        MfaChallenge.objects.create(
            user=user,
            token_hash=_sha256(raw),
            expires_at=timezone.now() + timedelta(seconds=settings.MFA_CHALLENGE_TTL_SECONDS),
        )
        return LoginResult(user=user, mfa_token=raw)
    return LoginResult(user=user, tokens=session_start(user=user, method=method))


def login_mfa(*, mfa_token: str, code: str) -> LoginResult:
    """Redeem an MFA challenge with a TOTP or backup code."""
    now = timezone.now()
    challenge = (
        MfaChallenge.objects.select_related("user")
        .filter(token_hash=_sha256(mfa_token or ""), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if challenge is None or challenge.failed_attempts >= settings.MFA_CHALLENGE_MAX_ATTEMPTS:
        raise exceptions.InvalidMfaToken()
    user = challenge.user
    if not _verify_second_factor(user, code):
        # Conditional update: parallel wrong codes cannot exceed the attempt limit.
        MfaChallenge.objects.filter(pk=challenge.pk).update(failed_attempts=F("failed_attempts") + 1)
        auditing.record_security_event(event_type="mfa_failed", user=user, details={"stage": "login"})
        raise exceptions.InvalidMfaCode()
    claimed = MfaChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(used_at=now)
    if not claimed:
        raise exceptions.InvalidMfaToken()
    auditing.record_security_event(event_type="user_login", user=user, details={"method": "password+totp", "mfa": True})
    return LoginResult(user=user, tokens=tokens.issue(user, mfa=True))


def _verify_second_factor(user: User, code: str) -> bool:
    code = (code or "").strip().replace(" ", "")
    if not code or len(code) > 32:
        return False
    for device in TOTPDevice.objects.devices_for_user(user, confirmed=True):
        if code.isdigit() and device.verify_token(code):
            return True
    for device in StaticDevice.objects.devices_for_user(user, confirmed=True):
        if device.verify_token(code):
            return True
    return False


# --- tokens and sessions -------------------------------------------------------------


def session_start(*, user: User, method: str) -> dict:
    """Issue a first token pair without a second factor (e.g. right after registering)."""
    auditing.record_security_event(event_type="user_login", user=user, details={"method": method, "mfa": False})
    return tokens.issue(user, mfa=False)


def session_refresh(*, refresh: str) -> dict:
    user, pair = tokens.rotate(refresh)
    auditing.record_security_event(event_type="token_refreshed", user=user)
    return pair


def session_logout(*, user: User, access_token, refresh: str) -> None:
    """End this session: blacklist its refresh token and revoke its access token now."""
    with transaction.atomic():
        tokens.blacklist_refresh(refresh, user=user)
        tokens.revoke_access(access_token)
        auditing.record_security_event(event_type="user_logout", user=user)


def sessions_revoke_all(*, user: User, actor=None, reason: str) -> None:
    """End every session of the user (all access and refresh tokens)."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    tokens.blacklist_all(user)
    auditing.record_audit(action="user.sessions_revoked", actor=actor or user, target=user, metadata={"reason": reason})


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str, mfa: bool) -> dict:
    """Change the password and end every other session; return a fresh pair for this one."""
    if not user.check_password(current_password):
        raise exceptions.InvalidPassword(
            extra={"errors": {"current_password": ["The current password is not correct."]}}
        )
    _validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    sessions_revoke_all(user=user, reason="password_changed")
    auditing.record_audit(action="user.password_changed", actor=user, target=user)
    auditing.record_security_event(event_type="password_changed", user=user)
    enqueue("accounts.send_security_notice", user.pk, "password_changed")
    return tokens.issue(user, mfa=mfa)


# --- magic links ---------------------------------------------------------------------


def magic_link_request(*, email: str) -> None:
    """E-mail a single-use login link if the account exists. The caller's answer never says."""
    email = normalise_email(email)
    # At most a few links per address per hour, counted atomically, silently.
    hit = ratelimit.hit(f"magic:{_sha256(email)}", limit=3, window=3600)
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    auditing.record_security_event(
        event_type="magic_link_requested", user=user, email=email, details={"sent": bool(user and hit.allowed)}
    )
    if user is None or not hit.allowed:
        return
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        MagicLink.objects.create(
            user=user,
            token_hash=_sha256(raw),
            expires_at=timezone.now() + timedelta(seconds=settings.MAGIC_LINK_TTL_SECONDS),
            requested_ip=request_context.current().ip,
        )
    link = settings.MAGIC_LINK_URL.format(token=raw)
    minutes = settings.MAGIC_LINK_TTL_SECONDS // 60
    send_mail(
        subject="Your BlockScore sign-in link",
        message=(
            f"Hello,\n\nUse this link to sign in to BlockScore. It works once and expires in {minutes} minutes:\n\n"
            f"{link}\n\nIf you did not ask for it, ignore this e-mail; your account is safe.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def magic_link_verify(*, token: str) -> LoginResult:
    now = timezone.now()
    link = MagicLink.objects.select_related("user").filter(token_hash=_sha256(token or "")).first()
    if link is None or link.used_at is not None or link.expires_at <= now or not link.user.is_active:
        raise exceptions.InvalidMagicLink()
    # Single use even under concurrency: only one request flips used_at.
    if not MagicLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
        raise exceptions.InvalidMagicLink()
    user = link.user
    with transaction.atomic():
        auditing.record_security_event(event_type="magic_link_used", user=user)
        if user.email_verified_at is None:
            User.objects.filter(pk=user.pk).update(email_verified_at=now)
            user.email_verified_at = now
            auditing.record_audit(action="user.email_verified", actor=user, target=user)
    return _complete_first_factor(user, method="magic_link")


# --- MFA devices ---------------------------------------------------------------------


def user_has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str


@transaction.atomic
def totp_enrol_start(*, user: User) -> TotpEnrolment:
    if user_has_totp(user):
        raise exceptions.MfaAlreadyEnabled()
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return TotpEnrolment(secret=b32encode(device.bin_key).decode("ascii"), otpauth_uri=device.config_url)


@transaction.atomic
def totp_enrol_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the pending device with a code from it; returns the new backup codes."""
    if user_has_totp(user):
        raise exceptions.MfaAlreadyEnabled()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise exceptions.MfaEnrolmentMissing()
    if not (code or "").isdigit() or not device.verify_token(code):
        auditing.record_security_event(event_type="mfa_failed", user=user, details={"stage": "enrolment"})
        raise exceptions.InvalidMfaCode()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _backup_codes_replace(user)
    auditing.record_audit(action="mfa.totp_enrolled", actor=user, target=user)
    auditing.record_security_event(event_type="mfa_enrolled", user=user)
    return codes


def _backup_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _require_current_code(user: User, code: str, stage: str) -> None:
    if not user_has_totp(user):
        raise exceptions.MfaNotEnabled()
    if not _verify_second_factor(user, code):
        auditing.record_security_event(event_type="mfa_failed", user=user, details={"stage": stage})
        raise exceptions.InvalidMfaCode()


@transaction.atomic
def backup_codes_regenerate(*, user: User, code: str) -> list[str]:
    _require_current_code(user, code, "backup_codes")
    codes = _backup_codes_replace(user)
    auditing.record_audit(action="mfa.backup_codes_generated", actor=user, target=user)
    return codes


@transaction.atomic
def totp_disable(*, user: User, code: str) -> None:
    _require_current_code(user, code, "disable")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    auditing.record_audit(action="mfa.totp_disabled", actor=user, target=user)
    auditing.record_security_event(event_type="mfa_disabled", user=user)
    enqueue("accounts.send_security_notice", user.pk, "mfa_disabled")


# --- self-service details ------------------------------------------------------------

USER_EDITABLE_FIELDS = ("first_name", "last_name")
PROFILE_FIELDS = (
    "date_of_birth",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)
PREFERENCE_FIELDS = ("theme", "language", "notify_email", "notify_sms", "notify_push", "notify_marketing")


def _apply(instance, data: dict, allowed, action: str, actor: User, target) -> dict:
    unknown = set(data) - set(allowed)
    if unknown:  # the serializers refuse these first; this keeps services safe on their own
        raise exceptions.ValidationFailed(f"Cannot change: {', '.join(sorted(unknown))}.")
    before = {field: getattr(instance, field) for field in allowed}
    for field, value in data.items():
        setattr(instance, field, value)
    changes = _diff(instance, before, data.keys())
    if changes:
        instance.save()
        auditing.record_audit(action=action, actor=actor, target=target, changes=changes)
    return changes


@transaction.atomic
def user_update(*, user: User, data: dict, actor: User | None = None) -> User:
    changes = _apply(user, data, USER_EDITABLE_FIELDS, "user.updated", actor or user, user)
    identity_changed(user, changes)
    return user


def profile_get(user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def preferences_get(user: User) -> Preferences:
    preferences, _ = Preferences.objects.get_or_create(user=user)
    return preferences


@transaction.atomic
def profile_update(*, user: User, data: dict) -> Profile:
    names = {field: data.pop(field) for field in USER_EDITABLE_FIELDS if field in data}
    changed = set(_apply(user, names, USER_EDITABLE_FIELDS, "user.updated", user, user)) if names else set()
    profile = Profile.objects.select_for_update().get(pk=profile_get(user).pk)
    changed |= set(_apply(profile, data, PROFILE_FIELDS, "profile.updated", user, user))
    identity_changed(user, changed)  # once, whichever of name and date of birth changed
    return profile


@transaction.atomic
def preferences_update(*, user: User, data: dict) -> Preferences:
    preferences = Preferences.objects.select_for_update().get(pk=preferences_get(user).pk)
    _apply(preferences, data, PREFERENCE_FIELDS, "preferences.updated", user, user)
    return preferences


# --- staff-side changes (console) ----------------------------------------------------


def audit_staff_created_user(*, user: User, actor: User) -> None:
    auditing.record_audit(
        action="user.created_by_staff", actor=actor, target=user, changes={"email": {"after": user.email}}
    )


@transaction.atomic
def user_deactivate(*, user: User, actor: User, reason: str = "") -> None:
    if not user.is_active:
        return
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    sessions_revoke_all(user=user, actor=actor, reason="deactivated")
    auditing.record_audit(
        action="user.deactivated",
        actor=actor,
        target=user,
        changes={"is_active": {"before": True, "after": False}},
        metadata={"reason": reason},
    )
    auditing.record_security_event(event_type="user_deactivated", user=user, details={"by": actor.get_username()})


@transaction.atomic
def user_reactivate(*, user: User, actor: User) -> None:
    if user.is_active:
        return
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    auditing.record_audit(
        action="user.reactivated", actor=actor, target=user, changes={"is_active": {"before": False, "after": True}}
    )


@transaction.atomic
def user_roles_set(*, user: User, actor: User, roles: list[str], is_staff: bool | None = None) -> None:
    """Set a user's roles (groups) and staff flag, audited with before/after."""
    before_roles = sorted(user.groups.values_list("name", flat=True))
    groups = list(Group.objects.filter(name__in=roles))
    if len(groups) != len(set(roles)):
        raise exceptions.ValidationFailed("Unknown role.")
    user.groups.set(groups)
    changes = {}
    after_roles = sorted(group.name for group in groups)
    if after_roles != before_roles:
        changes["roles"] = {"before": before_roles, "after": after_roles}
    if is_staff is not None and is_staff != user.is_staff:
        changes["is_staff"] = {"before": user.is_staff, "after": is_staff}
        User.objects.filter(pk=user.pk).update(is_staff=is_staff)
        user.is_staff = is_staff
    if changes:
        auditing.record_audit(action="user.roles_changed", actor=actor, target=user, changes=changes)


# --- security notices ---------------------------------------------------------------

SECURITY_NOTICES = {
    "password_changed": (
        "Your BlockScore password was changed",
        "The password of your BlockScore account was just changed and every other session was signed out.",
    ),
    "mfa_disabled": (
        "Two-factor authentication was turned off",
        "Two-factor authentication was just turned off for your BlockScore account.",
    ),
    "account_locked": (
        "Sign-in to your BlockScore account was paused",
        "There were several failed attempts to sign in to your BlockScore account, so sign-in is paused "
        "for a while. Your password was not shared with anyone.",
    ),
}


def security_notice_send(*, user_id: int, kind: str) -> bool:
    """E-mail the user about a security-relevant change (always sent: not a marketing opt-in)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or kind not in SECURITY_NOTICES:
        return False
    subject, text = SECURITY_NOTICES[kind]
    send_mail(
        subject=subject,
        message=f"Hello,\n\n{text}\n\nIf this was not you, contact support at once.\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    return True


# --- housekeeping --------------------------------------------------------------------


def magic_links_expire() -> int:
    """Delete links that are used or expired (they can no longer log anyone in)."""
    cutoff = timezone.now()
    deleted, _ = MagicLink.objects.filter(expires_at__lte=cutoff).delete()
    used, _ = MagicLink.objects.filter(used_at__isnull=False).delete()
    return deleted + used


def mfa_challenges_expire() -> int:
    deleted, _ = MfaChallenge.objects.filter(expires_at__lte=timezone.now()).delete()
    used, _ = MfaChallenge.objects.filter(used_at__isnull=False).delete()
    return deleted + used


def expired_tokens_purge() -> int:
    now = timezone.now()
    revoked, _ = RevokedAccessToken.objects.filter(expires_at__lte=now).delete()
    # Deleting an outstanding token cascades to its blacklist row: both are past expiry.
    outstanding, _ = OutstandingToken.objects.filter(expires_at__lte=now).delete()
    return revoked + outstanding

from blockscore.exceptions import Conflict, DomainError, TooManyRequests, ValidationFailed


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status_code = 401
    default_detail = "Invalid e-mail or password."


class LoginLocked(TooManyRequests):
    code = "login_locked"
    default_detail = "Too many failed attempts. Try again later."


class InvalidMfaCode(DomainError):
    code = "invalid_mfa_code"
    status_code = 400
    default_detail = "The code is not valid."


class InvalidMfaToken(DomainError):
    code = "invalid_mfa_token"
    status_code = 401
    default_detail = "The MFA token is invalid or expired. Log in again."


class MfaAlreadyEnabled(Conflict):
    code = "mfa_already_enabled"
    default_detail = "Two-factor authentication is already enabled."


class MfaNotEnabled(Conflict):
    code = "mfa_not_enabled"
    default_detail = "Two-factor authentication is not enabled."


class MfaEnrolmentMissing(Conflict):
    code = "mfa_enrolment_missing"
    default_detail = "Start TOTP enrolment first."


class InvalidMagicLink(DomainError):
    code = "invalid_magic_link"
    status_code = 401
    default_detail = "The link is invalid, expired or already used."


class EmailTaken(Conflict):
    code = "email_taken"
    default_detail = "An account with this e-mail address already exists."


class InvalidPassword(ValidationFailed):
    code = "invalid_password"
    default_detail = "The current password is not correct."


class WeakPassword(ValidationFailed):
    code = "weak_password"
    default_detail = "The new password is too weak."


class InvalidRefreshToken(DomainError):
    code = "token_not_valid"
    status_code = 401
    default_detail = "The token is invalid or expired."

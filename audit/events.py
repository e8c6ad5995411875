"""The registry of audit actions and security event types.

An audit record must name a registered action, so the set of things the platform
records is written down in one place per app. Apps above ``audit`` register their own
actions in ``AppConfig.ready()`` with ``register_actions``.
"""

AUDIT_ACTIONS: dict[str, str] = {}


def register_actions(actions: dict[str, str]) -> None:
    AUDIT_ACTIONS.update(actions)


register_actions(
    {
        "user.registered": "A customer registered.",
        "user.updated": "A user's names changed.",
        "user.created_by_staff": "Staff created a user in the console.",
        "user.password_changed": "A user changed their password.",
        "user.deactivated": "A user was deactivated; their sessions ended.",
        "user.reactivated": "A user was reactivated.",
        "user.roles_changed": "A user's roles (groups) or staff flags changed.",
        "user.sessions_revoked": "All sessions of a user were ended.",
        "user.email_verified": "A user proved control of their e-mail address.",
        "mfa.totp_enrolled": "A TOTP device was confirmed.",
        "mfa.totp_disabled": "TOTP was turned off.",
        "mfa.backup_codes_generated": "A new set of backup codes was issued.",
        "profile.updated": "Profile fields changed.",
        "preferences.updated": "Preferences changed.",
        "audit.exported": "Audit or security records were exported.",
        "chain.contract_deployed": "A contract was deployed on chain and its address recorded.",
    }
)

# Security event types and their severity.
SEVERITY_CRITICAL, SEVERITY_HIGH, SEVERITY_MEDIUM, SEVERITY_LOW, SEVERITY_INFO = (
    "critical",
    "high",
    "medium",
    "low",
    "info",
)
SECURITY_EVENT_TYPES: dict[str, str] = {
    "user_registered": SEVERITY_INFO,
    "user_login": SEVERITY_INFO,
    "login_failed": SEVERITY_MEDIUM,
    "account_locked": SEVERITY_HIGH,
    "token_refreshed": SEVERITY_INFO,
    "user_logout": SEVERITY_INFO,
    "invalid_token": SEVERITY_MEDIUM,
    "unauthorized_access": SEVERITY_HIGH,
    "rate_limit_exceeded": SEVERITY_MEDIUM,
    "mfa_enrolled": SEVERITY_INFO,
    "mfa_disabled": SEVERITY_MEDIUM,
    "mfa_failed": SEVERITY_MEDIUM,
    "password_changed": SEVERITY_MEDIUM,
    "magic_link_requested": SEVERITY_INFO,
    "magic_link_used": SEVERITY_INFO,
    "user_deactivated": SEVERITY_HIGH,
}

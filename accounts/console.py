"""The staff console's front door: the admin site and its login form.

Console sign-in goes through the same first-factor check as the API
(``services.credentials_check``: lockout per account and per address, security
events), then django-otp's second factor. Staff do not have to pick a device: a
six-digit code is checked against their authenticator app, anything else against
their backup codes.
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import exceptions, services
from blockscore import auditing


class StaffLoginForm(AdminAuthenticationForm):
    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = services.credentials_check(email=email, password=password)
        except exceptions.LoginLocked as exc:
            raise ValidationError(exc.detail, code="login_locked") from exc
        except exceptions.InvalidCredentials as exc:
            raise self.get_invalid_login_error() from exc
        self.confirm_login_allowed(self.user_cache)
        self.clean_second_factor(self.user_cache)
        auditing.record_security_event(
            event_type="user_login", user=self.user_cache, details={"method": "console", "mfa": self.uses_mfa}
        )
        return self.cleaned_data

    uses_mfa = False

    def clean_second_factor(self, user) -> None:
        pass


class StaffOtpLoginForm(StaffLoginForm, OTPAdminAuthenticationForm):
    uses_mfa = True

    def clean_second_factor(self, user) -> None:
        try:
            self.clean_otp(user)
        except ValidationError:
            auditing.record_security_event(event_type="mfa_failed", user=user, details={"stage": "console"})
            raise

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if token.isdigit() and len(token) == 6:
            return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
        return StaticDevice.objects.devices_for_user(user, confirmed=True).first()


class StaffAdminSite(AdminSite):
    """The console with password only (ENABLE_MFA off)."""

    login_form = StaffLoginForm
    site_header = "BlockScore staff console"
    site_title = "BlockScore console"
    index_title = "Operations"


class StaffOtpAdminSite(OTPAdminSite):
    """The console with password and a verified TOTP device (the default)."""

    login_form = StaffOtpLoginForm
    site_header = StaffAdminSite.site_header
    site_title = StaffAdminSite.site_title
    index_title = StaffAdminSite.index_title

from datetime import date

import phonenumbers
from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from accounts import services
from accounts.models import Preferences, Profile, User
from blockscore.api.serializers import StrictModelSerializer, StrictSerializer


class RegisterInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class LoginInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class LoginMfaInput(StrictSerializer):
    mfa_token = serializers.CharField(max_length=128)
    code = serializers.CharField(max_length=32, help_text="A 6-digit TOTP code or a backup code.")


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    mfa = serializers.BooleanField(help_text="Whether this session passed a second factor.")


class LoginOutput(serializers.Serializer):
    mfa_required = serializers.BooleanField()
    mfa_token = serializers.CharField(required=False, help_text="Present when mfa_required: send it to auth/login/mfa.")
    mfa_methods = serializers.ListField(child=serializers.CharField(), required=False)
    tokens = TokenPairOutput(required=False, help_text="Present when no second factor is needed.")


class RefreshInput(StrictSerializer):
    refresh = serializers.CharField(max_length=2048)


class MagicLinkInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)


class MagicLinkVerifyInput(StrictSerializer):
    token = serializers.CharField(max_length=128)


class DetailOutput(serializers.Serializer):
    detail = serializers.CharField()


class MeOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    mfa_enabled = serializers.SerializerMethodField()
    email_verified = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "roles",
            "is_staff",
            "mfa_enabled",
            "email_verified",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields

    def get_mfa_enabled(self, user) -> bool:
        return services.user_has_totp(user)

    def get_email_verified(self, user) -> bool:
        return user.email_verified_at is not None


class MeInput(StrictModelSerializer):
    class Meta:
        model = User
        fields = ["first_name", "last_name"]


class ChangePasswordInput(StrictSerializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class TotpEnrolOutput(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 secret, for manual entry.")
    otpauth_uri = serializers.CharField()
    qr_svg = serializers.CharField(help_text="An SVG image of the otpauth URI as a QR code.")


class CodeInput(StrictSerializer):
    code = serializers.CharField(max_length=32, help_text="A current TOTP code (or a backup code where accepted).")


class BackupCodesOutput(serializers.Serializer):
    backup_codes = serializers.ListField(child=serializers.CharField(), help_text="Shown once; each works once.")
    tokens = TokenPairOutput(required=False)


def _validate_phone(value: str) -> str:
    if not value:
        return value
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise serializers.ValidationError("Enter the number in international format, e.g. +2348012345678.") from exc
    if not phonenumbers.is_valid_number(number):
        raise serializers.ValidationError("This is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class ProfileSerializer(StrictModelSerializer):
    first_name = serializers.CharField(source="user.first_name", max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(source="user.last_name", max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    country = CountryField(required=False, allow_blank=True)

    class Meta:
        model = Profile
        fields = ["email", "first_name", "last_name", *services.PROFILE_FIELDS, "updated_at"]
        read_only_fields = ["email", "updated_at"]

    def validate_phone(self, value):
        return _validate_phone(value)

    def validate_date_of_birth(self, value):
        if value is None:
            return value
        today = date.today()
        if value >= today:
            raise serializers.ValidationError("The date of birth must be in the past.")
        if value.year < 1900:
            raise serializers.ValidationError("Enter a real date of birth.")
        return value

    def to_service_data(self) -> dict:
        data = dict(self.validated_data)
        data.update(data.pop("user", {}))
        return data


class PreferencesSerializer(StrictModelSerializer):
    class Meta:
        model = Preferences
        fields = [*services.PREFERENCE_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]


class RegisterOutput(serializers.Serializer):
    user = MeOutput()
    tokens = TokenPairOutput()


class AdminUserOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    roles = serializers.SerializerMethodField()
    email_verified = serializers.SerializerMethodField()
    country = serializers.CharField(source="profile.country", default="", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "roles",
            "is_active",
            "is_staff",
            "email_verified",
            "country",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields

    def get_roles(self, user) -> list[str]:
        return sorted(group.name for group in user.groups.all())

    def get_email_verified(self, user) -> bool:
        return user.email_verified_at is not None

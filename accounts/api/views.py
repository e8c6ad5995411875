"""Auth, profile and staff user endpoints. Thin: validate, call a service, serialize."""

import segno
from django.contrib.auth.models import Group
from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api import serializers as s
from accounts.models import User
from blockscore.api.export import CsvExportMixin, csv_list_schema
from blockscore.api.permissions import IsStaffWithMfa, token_passed_mfa


def _login_body(result: services.LoginResult) -> dict:
    if result.mfa_required:
        return {"mfa_required": True, "mfa_token": result.mfa_token, "mfa_methods": ["totp", "backup_code"]}
    return {"mfa_required": False, "tokens": result.tokens}


class PublicView(APIView):
    """Endpoints used before a session exists: no bearer token is read."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterView(PublicView):
    throttle_scope = "register"

    @extend_schema(
        tags=["auth"],
        summary="Register a customer account.",
        request=s.RegisterInput,
        responses={201: s.RegisterOutput, 409: OpenApiResponse(description="`email_taken`.")},
    )
    def post(self, request):
        data = s.RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        tokens = services.session_start(user=user, method="register")
        return Response({"user": s.MeOutput(user).data, "tokens": tokens}, status=status.HTTP_201_CREATED)


class LoginView(PublicView):
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        summary="Log in with e-mail and password.",
        description="When the account has TOTP, the answer has `mfa_required: true` and an `mfa_token` "
        "to complete with `auth/login/mfa`. Repeated failures lock the account and the client address "
        "for a cool-off (`login_locked`, 429).",
        request=s.LoginInput,
        responses={200: s.LoginOutput, 401: OpenApiResponse(description="`invalid_credentials`.")},
    )
    def post(self, request):
        data = s.LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_login_body(services.login_password(**data.validated_data)))


class LoginMfaView(PublicView):
    throttle_scope = "mfa"

    @extend_schema(
        tags=["auth"],
        summary="Complete a login with a TOTP or backup code.",
        request=s.LoginMfaInput,
        responses={200: s.TokenPairOutput, 401: OpenApiResponse(description="`invalid_mfa_token`.")},
    )
    def post(self, request):
        data = s.LoginMfaInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.login_mfa(**data.validated_data).tokens)


class RefreshView(PublicView):
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        summary="Rotate a refresh token; the old one stops working.",
        request=s.RefreshInput,
        responses={200: s.TokenPairOutput, 401: OpenApiResponse(description="`token_not_valid`.")},
    )
    def post(self, request):
        data = s.RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.session_refresh(refresh=data.validated_data["refresh"]))


class LogoutView(APIView):
    @extend_schema(
        tags=["auth"],
        summary="End this session: refresh blacklisted, access token revoked at once.",
        request=s.RefreshInput,
        responses={204: None},
    )
    def post(self, request):
        data = s.RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.session_logout(user=request.user, access_token=request.auth, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MagicLinkView(PublicView):
    throttle_scope = "magic_link"

    @extend_schema(
        tags=["auth"],
        summary="E-mail a single-use sign-in link (same answer whether or not the account exists).",
        request=s.MagicLinkInput,
        responses={202: s.DetailOutput},
    )
    def post(self, request):
        data = s.MagicLinkInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.magic_link_request(email=data.validated_data["email"])
        return Response(
            {"detail": "If the address has an account, a sign-in link is on its way."}, status=status.HTTP_202_ACCEPTED
        )


class MagicLinkVerifyView(PublicView):
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        summary="Sign in with a magic-link token (MFA still applies).",
        request=s.MagicLinkVerifyInput,
        responses={200: s.LoginOutput, 401: OpenApiResponse(description="`invalid_magic_link`.")},
    )
    def post(self, request):
        data = s.MagicLinkVerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_login_body(services.magic_link_verify(token=data.validated_data["token"])))


class MeView(APIView):
    @extend_schema(tags=["auth"], summary="The signed-in user.", responses={200: s.MeOutput})
    def get(self, request):
        return Response(s.MeOutput(request.user).data)

    @extend_schema(
        tags=["auth"],
        summary="Change your names (roles, staff flags and verification cannot be changed here).",
        request=s.MeInput,
        responses={200: s.MeOutput},
    )
    def patch(self, request):
        data = s.MeInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, data=dict(data.validated_data))
        return Response(s.MeOutput(user).data)


class ChangePasswordView(APIView):
    throttle_scope = "mfa"

    @extend_schema(
        tags=["auth"],
        summary="Change the password; every other session ends.",
        request=s.ChangePasswordInput,
        responses={200: s.TokenPairOutput},
    )
    def post(self, request):
        data = s.ChangePasswordInput(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.password_change(user=request.user, mfa=token_passed_mfa(request), **data.validated_data)
        return Response(pair)


class TotpView(APIView):
    throttle_scope = "mfa"

    @extend_schema(
        tags=["mfa"],
        summary="Start TOTP enrolment: a secret, its otpauth URI and a QR code.",
        request=None,
        responses={200: s.TotpEnrolOutput, 409: OpenApiResponse(description="`mfa_already_enabled`.")},
    )
    def post(self, request):
        enrolment = services.totp_enrol_start(user=request.user)
        qr_svg = segno.make(enrolment.otpauth_uri, error="m").svg_inline(scale=4)
        return Response({"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri, "qr_svg": qr_svg})

    @extend_schema(
        tags=["mfa"],
        summary="Turn TOTP off (needs a current code).",
        request=s.CodeInput,
        responses={204: None, 409: OpenApiResponse(description="`mfa_not_enabled`.")},
    )
    def delete(self, request):
        data = s.CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.totp_disable(user=request.user, code=data.validated_data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(APIView):
    throttle_scope = "mfa"

    @extend_schema(
        tags=["mfa"],
        summary="Confirm TOTP with a code from the app; returns backup codes and an MFA session.",
        request=s.CodeInput,
        responses={200: s.BackupCodesOutput, 409: OpenApiResponse(description="`mfa_enrolment_missing`.")},
    )
    def post(self, request):
        data = s.CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        codes = services.totp_enrol_confirm(user=request.user, code=data.validated_data["code"])
        from accounts import tokens

        return Response({"backup_codes": codes, "tokens": tokens.issue(request.user, mfa=True)})


class BackupCodesView(APIView):
    throttle_scope = "mfa"

    @extend_schema(
        tags=["mfa"],
        summary="Replace the backup codes (needs a current code).",
        request=s.CodeInput,
        responses={200: s.BackupCodesOutput, 409: OpenApiResponse(description="`mfa_not_enabled`.")},
    )
    def post(self, request):
        data = s.CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            {"backup_codes": services.backup_codes_regenerate(user=request.user, code=data.validated_data["code"])}
        )


class ProfileView(APIView):
    @extend_schema(tags=["profile"], summary="Your profile.", responses={200: s.ProfileSerializer})
    def get(self, request):
        return Response(s.ProfileSerializer(services.profile_get(request.user)).data)

    @extend_schema(
        tags=["profile"],
        summary="Update your profile.",
        request=s.ProfileSerializer,
        responses={200: s.ProfileSerializer},
    )
    def patch(self, request):
        data = s.ProfileSerializer(services.profile_get(request.user), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        profile = services.profile_update(user=request.user, data=data.to_service_data())
        return Response(s.ProfileSerializer(profile).data)


class PreferencesView(APIView):
    @extend_schema(tags=["profile"], summary="Your preferences.", responses={200: s.PreferencesSerializer})
    def get(self, request):
        return Response(s.PreferencesSerializer(services.preferences_get(request.user)).data)

    @extend_schema(
        tags=["profile"],
        summary="Update your preferences.",
        request=s.PreferencesSerializer,
        responses={200: s.PreferencesSerializer},
    )
    def patch(self, request):
        data = s.PreferencesSerializer(services.preferences_get(request.user), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        preferences = services.preferences_update(user=request.user, data=dict(data.validated_data))
        return Response(s.PreferencesSerializer(preferences).data)


class AdminUserFilter(filters.FilterSet):
    role = filters.CharFilter(field_name="groups__name", help_text="A role name, e.g. `customer`.")
    email = filters.CharFilter(lookup_expr="icontains")
    search = filters.CharFilter(method="filter_search", help_text="E-mail or name contains.")
    joined_after = filters.IsoDateTimeFilter(field_name="date_joined", lookup_expr="gte")
    joined_before = filters.IsoDateTimeFilter(field_name="date_joined", lookup_expr="lt")
    country = filters.CharFilter(field_name="profile__country")

    class Meta:
        model = User
        fields = ["is_active", "is_staff"]

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(
            Q(email__icontains=value) | Q(first_name__icontains=value) | Q(last_name__icontains=value)
        )


@csv_list_schema(s.AdminUserOutput, tags=["admin"], summary="(staff) Users, filterable; `?format=csv` exports.")
class AdminUsersView(CsvExportMixin, generics.ListAPIView):
    permission_classes = [IsStaffWithMfa]
    required_permissions = ("accounts.view_user",)
    throttle_scope = "staff"
    serializer_class = s.AdminUserOutput
    filterset_class = AdminUserFilter
    ordering_fields = ["date_joined", "email", "last_login"]
    ordering = ["-date_joined"]
    csv_name = "users"

    def get_queryset(self):
        return (
            User.objects.select_related("profile")
            .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
            .distinct()
        )

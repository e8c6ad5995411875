"""Withdrawal PIN endpoints: set or change, remove, verify. Thin: validate, call
wallets.services.pin, serialize. Both views throttle on the ``mfa`` scope: PUT and
DELETE check the account password, verify checks the PIN."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore.api.serializers import StrictSerializer
from wallets.models.pin import MAX_FAILED_ATTEMPTS
from wallets.services import pin as services

# --- serializers ---------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": "^[0-9]{4,6}$", "example": "8317"})
class PinField(serializers.CharField):
    """4 to 6 ASCII digits as a JSON string. A JSON number is refused: 0123 would lose
    its leading zero on the way."""

    default_error_messages = {
        "not_a_string": 'Send the PIN as a string of 4 to 6 digits, e.g. "8317".',
        "format": services.PIN_FORMAT_MESSAGE,
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("write_only", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        if not services.PIN_RE.fullmatch(data):
            self.fail("format")
        return data


class PinSetInput(StrictSerializer):
    pin = PinField(help_text="The new PIN. Runs (1234), repeats (0000, 1212) are refused with `weak_pin`.")
    current_password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class PinRemoveInput(StrictSerializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class PinVerifyInput(StrictSerializer):
    pin = PinField()


class PinStatusOutput(serializers.Serializer):
    pin_set = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_pin_set(self, record) -> bool:
        return True


class PinVerifyOutput(serializers.Serializer):
    valid = serializers.BooleanField()


# --- views ---------------------------------------------------------------------------

_LOCKED = OpenApiResponse(
    description=f"`pin_locked`: {MAX_FAILED_ATTEMPTS} wrong PINs in a row. Not a cool-off: it stays locked "
    "until you set a new PIN (PUT wallets/pin) with your password."
)


class PinView(APIView):
    throttle_scope = "mfa"

    @extend_schema(
        tags=["wallets"],
        summary="Set or change your withdrawal PIN (needs your password; also lifts a lock).",
        description="Once a PIN is set, withdrawals need it. Setting a new PIN resets the count of wrong "
        "attempts, which is how a locked PIN is unlocked.",
        request=PinSetInput,
        responses={
            200: PinStatusOutput,
            400: OpenApiResponse(description="`invalid_password`, `weak_pin` or `validation_error`."),
        },
    )
    def put(self, request):
        data = PinSetInput(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.pin_set(user=request.user, **data.validated_data)
        return Response(PinStatusOutput(record).data)

    @extend_schema(
        tags=["wallets"],
        summary="Remove your withdrawal PIN (needs your password).",
        description='The body is JSON: `{"current_password": "..."}`.',
        request=PinRemoveInput,
        responses={
            204: None,
            400: OpenApiResponse(description="`invalid_password` or `validation_error`."),
            409: OpenApiResponse(description="`pin_not_set`."),
        },
    )
    def delete(self, request):
        data = PinRemoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.pin_remove(user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PinVerifyView(APIView):
    throttle_scope = "mfa"

    @extend_schema(
        tags=["wallets"],
        summary="Check your withdrawal PIN.",
        description=f"A wrong PIN answers `invalid_pin` with `remaining_attempts`; the {MAX_FAILED_ATTEMPTS}th "
        "wrong PIN in a row locks it (`pin_locked`, 423). A right PIN resets the count.",
        request=PinVerifyInput,
        responses={
            200: PinVerifyOutput,
            400: OpenApiResponse(description="`invalid_pin` (with `remaining_attempts`) or `validation_error`."),
            409: OpenApiResponse(description="`pin_not_set`."),
            423: _LOCKED,
        },
    )
    def post(self, request):
        data = PinVerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.pin_verify(user=request.user, pin=data.validated_data["pin"])
        return Response({"valid": True})

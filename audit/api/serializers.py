"""Output shapes of the staff audit endpoints. Read-only: nothing is ever written here.

Users appear by their public id, never by their internal primary key.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEvent, SecurityEvent


@extend_schema_field(OpenApiTypes.OBJECT)
class JsonObjectField(serializers.JSONField):
    """A JSON object, as recorded (secrets already redacted)."""


class SecurityEventOutput(serializers.ModelSerializer):
    user = serializers.UUIDField(
        source="user.public_id",
        read_only=True,
        allow_null=True,
        help_text="The user's public id, when the event concerns a known user.",
    )
    details = JsonObjectField(read_only=True)

    class Meta:
        model = SecurityEvent
        fields = [
            "id",
            "created_at",
            "event_type",
            "severity",
            "user",
            "email",
            "ip",
            "user_agent",
            "request_id",
            "details",
        ]
        read_only_fields = fields


class AuditEventOutput(serializers.ModelSerializer):
    actor = serializers.UUIDField(
        source="actor.public_id",
        read_only=True,
        allow_null=True,
        help_text="The acting user's public id; null for the system.",
    )
    changes = JsonObjectField(read_only=True, help_text="Changed fields: `{field: {before, after}}`.")
    metadata = JsonObjectField(read_only=True)
    actor_repr = serializers.CharField(read_only=True, help_text="The actor's e-mail when the event was recorded.")
    prev_hash = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The hash of the event with the previous sequence (null for a moment, until the event is chained).",
    )
    hash = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="sha256 over prev_hash and the canonical JSON of this event (null until it is chained).",
    )

    class Meta:
        model = AuditEvent
        fields = [
            "sequence",
            "occurred_at",
            "actor",
            "actor_repr",
            "action",
            "target_type",
            "target_id",
            "changes",
            "metadata",
            "ip",
            "user_agent",
            "request_id",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields

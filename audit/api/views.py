"""Staff read-only views of the audit trail and the security log.

Both lists are filterable, paginated as JSON, and exported whole with ``?format=csv``
(which is itself recorded as an ``audit.exported`` event). Only GET: these records are
written by services, never through the API.
"""

from django import forms
from django_filters import rest_framework as filters
from rest_framework import generics

from audit.api import serializers as s
from audit.events import AUDIT_ACTIONS
from audit.models import AuditEvent, SecurityEvent
from blockscore.api.export import CsvExportMixin, csv_list_schema
from blockscore.api.permissions import IsStaffWithMfa

_BIGINT_MAX = 2**63 - 1


class IPAddressFilter(filters.CharFilter):
    """An exact address; a malformed one is a 400, never a database error."""

    field_class = forms.GenericIPAddressField


class SequenceFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", _BIGINT_MAX)
        super().__init__(*args, **kwargs)


def _action_choices():
    return sorted((name, name) for name in AUDIT_ACTIONS)


class SecurityEventFilter(filters.FilterSet):
    event_type = filters.MultipleChoiceFilter(
        choices=SecurityEvent.EVENT_TYPE_CHOICES, help_text="One or more event types (repeat the parameter)."
    )
    severity = filters.MultipleChoiceFilter(
        choices=SecurityEvent.Severity.choices, help_text="One or more severities (repeat the parameter)."
    )
    user = filters.UUIDFilter(field_name="user__public_id", help_text="The user's public id.")
    email = filters.CharFilter(lookup_expr="icontains", help_text="E-mail contains (case-insensitive).")
    ip = IPAddressFilter(help_text="Client address, exact.")
    request_id = filters.CharFilter()
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = SecurityEvent
        fields: list[str] = []


class AuditEventFilter(filters.FilterSet):
    action = filters.MultipleChoiceFilter(
        choices=_action_choices, help_text="One or more registered actions (repeat the parameter)."
    )
    actor = filters.UUIDFilter(field_name="actor__public_id", help_text="The acting user's public id.")
    target_type = filters.CharFilter(help_text="`app_label.model`, e.g. `accounts.user`.")
    target_id = filters.CharFilter(help_text="The target's public id (or key).")
    request_id = filters.CharFilter()
    occurred_after = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    sequence_from = SequenceFilter(field_name="sequence", lookup_expr="gte", help_text="Lowest sequence, inclusive.")
    sequence_to = SequenceFilter(field_name="sequence", lookup_expr="lte", help_text="Highest sequence, inclusive.")

    class Meta:
        model = AuditEvent
        fields: list[str] = []


class _StaffReadOnlyList(CsvExportMixin, generics.ListAPIView):
    permission_classes = [IsStaffWithMfa]
    throttle_scope = "staff"
    http_method_names = ["get", "head", "options"]


@csv_list_schema(
    s.SecurityEventOutput,
    tags=["admin"],
    summary="(staff) Security events, filterable; `?format=csv` exports every match.",
    description="Needs the `audit.view_securityevent` permission (auditor, compliance officer, administrator) "
    "and a session that passed MFA.",
)
class SecurityLogsView(_StaffReadOnlyList):
    required_permissions = ("audit.view_securityevent",)
    serializer_class = s.SecurityEventOutput
    filterset_class = SecurityEventFilter
    ordering_fields = ["created_at", "event_type"]
    ordering = ["-created_at", "-id"]
    csv_name = "security-logs"

    def get_queryset(self):
        return SecurityEvent.objects.select_related("user")


@csv_list_schema(
    s.AuditEventOutput,
    tags=["admin"],
    summary="(staff) The audit trail, filterable; `?format=csv` exports every match.",
    description="Each event carries its `sequence`, `prev_hash` and `hash`, so an export can be checked "
    "against the chain. Needs the `audit.view_auditevent` permission (auditor, compliance officer, "
    "administrator) and a session that passed MFA.",
)
class AuditHistoryView(_StaffReadOnlyList):
    required_permissions = ("audit.view_auditevent",)
    serializer_class = s.AuditEventOutput
    filterset_class = AuditEventFilter
    ordering_fields = ["sequence", "occurred_at"]
    ordering = ["-sequence"]
    csv_name = "audit-history"

    def get_queryset(self):
        return AuditEvent.objects.select_related("actor")

"""Read-only console pages for the audit trail and the security log.

Nobody adds, edits or deletes these records from the console (on PostgreSQL the
database would refuse anyway); staff with the view permission (auditor, compliance
officer, administrator) can search, filter and read them.
"""

import json

from django.contrib import admin
from django.utils.html import format_html

from audit.models import AuditChainHead, AuditEvent, SecurityEvent
from blockscore.admin import ReadOnlyAdmin


def _pretty_json(value) -> str:
    if not value:
        return "—"
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "occurred_at", "action", "actor_repr", "target_type", "target_id", "ip", "request_id"]
    list_display_links = ["sequence", "action"]
    list_filter = ["action", "target_type", "occurred_at"]
    search_fields = ["sequence__exact", "actor_repr", "action", "target_id", "=request_id", "=hash", "ip"]
    date_hierarchy = "occurred_at"
    ordering = ["-sequence"]
    fieldsets = [
        (None, {"fields": ["sequence", "occurred_at", "action", "action_description"]}),
        ("Who", {"fields": ["actor", "actor_repr", "ip", "user_agent", "request_id"]}),
        ("What", {"fields": ["target_type", "target_id", "changes_pretty", "metadata_pretty"]}),
        ("Chain", {"fields": ["prev_hash", "hash"]}),
    ]
    readonly_fields = [
        "sequence",
        "occurred_at",
        "action",
        "action_description",
        "actor",
        "actor_repr",
        "ip",
        "user_agent",
        "request_id",
        "target_type",
        "target_id",
        "changes_pretty",
        "metadata_pretty",
        "prev_hash",
        "hash",
    ]

    @admin.display(description="Meaning")
    def action_description(self, obj):
        from audit.events import AUDIT_ACTIONS

        return AUDIT_ACTIONS.get(obj.action, "(no longer registered)")

    @admin.display(description="Changes (before / after)")
    def changes_pretty(self, obj):
        return _pretty_json(obj.changes)

    @admin.display(description="Metadata")
    def metadata_pretty(self, obj):
        return _pretty_json(obj.metadata)


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event_type", "severity", "email", "ip", "request_id"]
    list_filter = ["severity", "event_type", "created_at"]
    search_fields = ["email", "ip", "=request_id", "user_agent"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    fields = [
        "created_at",
        "event_type",
        "severity",
        "user",
        "email",
        "ip",
        "user_agent",
        "request_id",
        "details_pretty",
    ]
    readonly_fields = fields

    @admin.display(description="Details")
    def details_pretty(self, obj):
        return _pretty_json(obj.details)


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    """The last sequence and hash: what anchoring publishes and verification ends at."""

    list_display = ["sequence", "hash"]
    fields = ["sequence", "hash"]
    readonly_fields = fields

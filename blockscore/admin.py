from django.contrib import admin

from blockscore.models import IdempotencyRecord, JobRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Console pages for records nobody adds, edits or deletes by hand (audit, job runs)."""

    actions = None
    show_full_result_count = False  # a COUNT(*) over a whole log on every page is wasted work

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "status", "started_at", "finished_at", "duration", "counts"]
    list_filter = ["name", "status", "started_at"]
    search_fields = ["name", "task_id", "error"]
    date_hierarchy = "started_at"
    readonly_fields = ["name", "task_id", "started_at", "finished_at", "status", "counts", "error"]

    @admin.display(description="Seconds")
    def duration(self, obj):
        seconds = obj.duration_seconds
        return "" if seconds is None else f"{seconds:.2f}"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "key", "method", "path", "state", "response_status", "expires_at"]
    list_filter = ["state", "method", "created_at"]
    search_fields = ["key", "path", "user__email"]
    list_select_related = ["user"]
    exclude = ["response_body"]

from django.contrib import admin

from blockscore.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "started_at", "finished_at", "duration", "counts"]
    list_filter = ["name", "status", "started_at"]
    search_fields = ["name", "task_id", "error"]
    date_hierarchy = "started_at"
    readonly_fields = ["name", "task_id", "started_at", "finished_at", "status", "counts", "error"]

    @admin.display(description="Seconds")
    def duration(self, obj):
        seconds = obj.duration_seconds
        return "" if seconds is None else f"{seconds:.2f}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

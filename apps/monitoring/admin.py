from django.contrib import admin

from .models import RankingSnapshot


@admin.register(RankingSnapshot)
class RankingSnapshotAdmin(admin.ModelAdmin):
    """Read-only: snapshots are taken by the monthly task or the publish button, never edited."""

    list_display = ("month", "created_at", "created_by", "published_at", "published_by")
    readonly_fields = ("month", "data", "created_at", "created_by", "published_at", "published_by")
    date_hierarchy = "month"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

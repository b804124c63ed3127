from django.contrib import admin

from .models import Indicator, IndicatorReading, RankingSnapshot


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


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    """Staff revise the scoring table by adding a version with a later effective date (validated on save)."""

    list_display = ("name", "group", "points", "rule", "target", "effective_from")
    list_filter = ("group", "rule")
    search_fields = ("code", "name")


@admin.register(IndicatorReading)
class IndicatorReadingAdmin(admin.ModelAdmin):
    list_display = ("code", "day", "value")
    list_filter = ("code",)
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

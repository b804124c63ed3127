from django.contrib import admin

from credit_portal.admin_mixins import ReadOnlyAdminMixin

from .models import Indicator, IndicatorReading, ManualEntry, RankingSnapshot


@admin.register(RankingSnapshot)
class RankingSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: snapshots are taken by the monthly task or the publish button, never edited."""

    list_display = ("month", "created_at", "created_by", "published_at", "published_by")
    readonly_fields = ("month", "data", "created_at", "created_by", "published_at", "published_by")
    date_hierarchy = "month"


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    """Staff revise the scoring table by adding a version with a later effective date (validated on save)."""

    list_display = ("name", "group", "points", "rule", "target", "effective_from", "source")
    list_filter = ("group", "rule")
    search_fields = ("code", "name")


@admin.register(IndicatorReading)
class IndicatorReadingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "day", "value")
    list_filter = ("code",)
    date_hierarchy = "day"


@admin.register(ManualEntry)
class ManualEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: entries are made on the dashboard with their evidence and never edited (a correction is a new entry)."""

    list_display = ("code", "item", "month", "points", "entered_by", "entered_at")
    list_filter = ("code",)
    date_hierarchy = "entered_at"

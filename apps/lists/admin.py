from django.contrib import admin

from credit_portal.admin_mixins import ReadOnlyAdminMixin

from .models import CheckFeedback, CreditCheck, ListEntry, ListType, Matter, Measure, WarningInterview


@admin.register(ListType)
class ListTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "color", "validity_months", "repairable", "triggers_measures", "is_active")
    list_filter = ("color", "is_active")
    filter_horizontal = ("recognisers",)


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "implementing_department", "version", "effective_from", "effective_to")
    list_filter = ("kind", "is_active")
    filter_horizontal = ("list_types", "matters")


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sort_order")


@admin.register(ListEntry)
class ListEntryAdmin(admin.ModelAdmin):
    list_display = ("list_type", "record", "department", "recognised_on", "valid_until", "state")
    list_filter = ("list_type", "state")
    raw_id_fields = ("record", "subject")


@admin.register(WarningInterview)
class WarningInterviewAdmin(admin.ModelAdmin):
    list_display = ("entry", "held_on", "department", "participants")


@admin.register(CreditCheck)
class CreditCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The check log is evidence: read-only."""

    list_display = ("created_at", "channel", "query", "matter", "found", "department")
    list_filter = ("channel", "found")


admin.site.register(CheckFeedback)

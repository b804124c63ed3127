from django.contrib import admin

from .models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "note", "created_by", "created_at")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("note",)
    readonly_fields = ("created_by", "created_at")
    ordering = ("-date",)

    def save_model(self, request, obj, form, change):
        # The creator is kept; later editors are recorded by auditlog.
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

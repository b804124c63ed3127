from django.contrib import admin

from .models import PersonalDataAccess


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only and written only by the reveal service."""

    list_display = ("accessed_at", "user", "subject", "field", "reason", "remote_addr")
    list_filter = ("field",)
    search_fields = ("user__username", "user__full_name", "subject__name", "reason")
    date_hierarchy = "accessed_at"
    list_select_related = ("user", "subject")
    readonly_fields = ("user", "subject", "field", "reason", "remote_addr", "accessed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin

from .models import CreditReport


@admin.register(CreditReport)
class CreditReportAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "subject_name", "purpose", "issued_at", "client_ip")
    list_filter = ("kind", "purpose")
    search_fields = ("number", "subject_name")
    # An issued report is evidence: it is read here, never edited.
    readonly_fields = [f.name for f in CreditReport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

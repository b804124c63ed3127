from django.contrib import admin

from .models import Declaration


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "title", "department", "status", "created_at"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["subject"]
    # Review goes through the department's page (who, when, why); the admin only reads.
    readonly_fields = ["pledge", "pledged_at", "submitted_by", "status", "reviewed_by", "reviewed_at", "review_note"]

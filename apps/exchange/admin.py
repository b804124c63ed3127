from django.contrib import admin

from credit_portal.admin_mixins import ReadOnlyAdminMixin

from .models import OutboxBatch


@admin.register(OutboxBatch)
class OutboxBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Batches are made and sent by the exchange page and its task; the admin only reads (never the payload)."""

    list_display = ("batch_id", "date_from", "date_to", "status", "attempts", "acknowledged_at", "created_at")
    list_filter = ("status",)
    exclude = ("payload_encrypted",)

from django.contrib import admin

from .models import Commitment, CommitmentTemplate, Fulfilment


@admin.register(CommitmentTemplate)
class CommitmentTemplateAdmin(admin.ModelAdmin):
    list_display = ["type", "matter", "supervising_department", "is_active"]


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ["code", "subject", "type", "matter", "signed_on", "channel", "entry_timely", "status"]
    search_fields = ["code", "subject__name"]
    # A select of every subject or record would load them all into the change page.
    raw_id_fields = ["subject", "repair_record"]


admin.site.register(Fulfilment)

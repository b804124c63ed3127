from django.contrib import admin

from .models import Material, NoticeBatch, NoticeService, Objection, ObjectionEvent, RepairApplication, RepairEvent


class RepairEventInline(admin.TabularInline):
    model = RepairEvent
    extra = 0
    readonly_fields = ("action", "from_state", "to_state", "actor", "actor_label", "reason", "at")
    can_delete = False


class ObjectionEventInline(admin.TabularInline):
    model = ObjectionEvent
    extra = 0
    readonly_fields = ("action", "from_state", "to_state", "actor", "actor_label", "reason", "at")
    can_delete = False


@admin.register(RepairApplication)
class RepairApplicationAdmin(admin.ModelAdmin):
    list_display = ("number", "record", "department", "state", "due_on", "due_flag", "created_at")
    list_filter = ("state", "due_flag", "department")
    search_fields = ("number", "record__subject_name", "record__decision_number")
    raw_id_fields = ("record", "subject", "applicant", "entered_by")
    readonly_fields = ("state",)
    inlines = [RepairEventInline]


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ("number", "record", "department", "state", "outcome", "due_on", "due_flag", "created_at")
    list_filter = ("state", "outcome", "due_flag", "department")
    search_fields = ("number", "record__subject_name", "record__decision_number", "contact_name")
    raw_id_fields = ("record", "filer")
    readonly_fields = ("state",)
    inlines = [ObjectionEventInline]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("original_name", "kind", "application", "objection", "size", "uploaded_at")
    raw_id_fields = ("application", "objection", "uploaded_by")


@admin.register(NoticeBatch)
class NoticeBatchAdmin(admin.ModelAdmin):
    list_display = ("pk", "department", "date_from", "date_to", "upload", "state", "total", "done", "created_at")
    list_filter = ("state", "department")
    raw_id_fields = ("requested_by", "upload")
    readonly_fields = ("state", "total", "done", "file", "error", "finished_at")


@admin.register(NoticeService)
class NoticeServiceAdmin(admin.ModelAdmin):
    list_display = ("record", "served_on", "method", "served_with_decision", "recorded_by", "recorded_at")
    list_filter = ("method", "served_with_decision")
    raw_id_fields = ("record", "recorded_by")
    readonly_fields = ("served_with_decision", "recorded_at")

from django.contrib import admin

from .models import FieldSpec, Policy, RecordType


class FieldSpecInline(admin.TabularInline):
    model = FieldSpec
    extra = 0
    fields = ("order", "code", "label", "field_type", "role", "required", "choices", "max_length", "is_public")


@admin.register(RecordType)
class RecordTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "family", "power", "is_public", "version", "effective_from", "is_active")
    list_filter = ("family", "is_public", "is_active")
    inlines = [FieldSpecInline]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("key", "record_type", "value", "effective_from", "basis")
    list_filter = ("key", "record_type")

    def save_model(self, request, obj, form, change):
        if not obj.created_by_id:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

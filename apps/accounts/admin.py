from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiKey, Department, Power, SubjectClaim, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "role", "department", "is_active")
    list_filter = ("role", "department", "is_active")
    search_fields = ("username", "full_name", "email")
    fieldsets = BaseUserAdmin.fieldsets + (
        ("平台信息", {"fields": ("role", "department", "full_name", "phone", "account_kind", "subject")}),
    )
    raw_id_fields = ("subject",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "uscc", "region_code", "is_active")
    search_fields = ("code", "name", "uscc")
    filter_horizontal = ("powers",)


@admin.register(Power)
class PowerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sort_order")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "department", "is_active", "expires_at", "last_used_at")
    readonly_fields = ("prefix", "last_used_at", "created_at")

    def has_add_permission(self, request):
        # Keys are issued with `manage.py issue_api_key`, which shows the raw key once.
        return False


@admin.register(SubjectClaim)
class SubjectClaimAdmin(admin.ModelAdmin):
    list_display = ("user", "subject_name", "status", "created_at", "reviewed_by")
    list_filter = ("status",)
    raw_id_fields = ("user", "subject", "reviewed_by")

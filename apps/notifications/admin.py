from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "created_at", "read_at", "emailed")
    list_filter = ("emailed",)
    search_fields = ("title", "user__username")
    raw_id_fields = ("user",)

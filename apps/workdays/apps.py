from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "apps.workdays"
    label = "workdays"
    verbose_name = "工作日历"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import CalendarOverride

        auditlog.register(CalendarOverride)

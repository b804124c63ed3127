from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "apps.records"
    label = "records"
    verbose_name = "信用信息记录"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Record, ZeroReport

        auditlog.register(Record)
        auditlog.register(ZeroReport)

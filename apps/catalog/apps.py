from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = "信用信息目录与政策"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import FieldSpec, Policy, RecordType

        auditlog.register(RecordType)
        auditlog.register(FieldSpec)
        auditlog.register(Policy)

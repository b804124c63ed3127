from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "apps.declarations"
    label = "declarations"
    verbose_name = "自主申报信息"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Declaration

        # Every change to credit data is audit-logged: submission, verification and rejection alike.
        auditlog.register(Declaration)

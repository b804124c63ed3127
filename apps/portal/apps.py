from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "apps.portal"
    label = "portal"
    verbose_name = "门户"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Article

        auditlog.register(Article)

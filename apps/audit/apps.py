from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self):
        from auditlog import get_logentry_model
        from django.db.models.signals import post_save

        from .chain import on_logentry_saved

        post_save.connect(on_logentry_saved, sender=get_logentry_model(), dispatch_uid="audit-chain-append")

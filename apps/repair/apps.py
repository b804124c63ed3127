from django.apps import AppConfig


class RepairConfig(AppConfig):
    name = "apps.repair"
    label = "repair"
    verbose_name = "信用修复与异议处理"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Material, Objection, RepairApplication

        for model in (RepairApplication, Objection, Material):
            auditlog.register(model)

from django.apps import AppConfig


class RepairConfig(AppConfig):
    name = "apps.repair"
    label = "repair"
    verbose_name = "信用修复与异议处理"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Material, NoticeService, Objection, RepairApplication

        # NoticeService: when and how a 告知书 was served is credit data a department answers for.
        for model in (RepairApplication, Objection, Material, NoticeService):
            auditlog.register(model)

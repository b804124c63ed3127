from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "apps.monitoring"
    label = "monitoring"
    verbose_name = "监测与排名"

    def ready(self):
        from auditlog.registry import auditlog

        from . import measures  # noqa: F401 — registers the scorecard's data sources (models.MEASURES)
        from .models import Indicator, ManualEntry

        # Scores and deductions entered by hand, and revisions of the scoring table, are credit data.
        auditlog.register(Indicator)
        auditlog.register(ManualEntry)

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "信用报告"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import CreditReport

        # Issuance is logged by the row itself (purpose, requester, address, time);
        # auditlog records any later change to a row that should never change.
        auditlog.register(CreditReport)

from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "apps.scenarios"
    label = "scenarios"
    verbose_name = "信易+"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import FinancingNeed, LoanAuthorisation, LoanOffer, Scenario

        for model in (Scenario, FinancingNeed, LoanAuthorisation, LoanOffer):
            auditlog.register(model)

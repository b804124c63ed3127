from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "apps.commitments"
    label = "commitments"
    verbose_name = "信用承诺"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Commitment, CommitmentTemplate, Fulfilment

        for model in (Commitment, CommitmentTemplate, Fulfilment):
            auditlog.register(model)

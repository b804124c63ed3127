from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "apps.evaluation"
    label = "evaluation"
    verbose_name = "信用评价与分级监管"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models as m

        for model in (
            m.ScoringModel,
            m.SupervisionPolicy,
            m.ProvincialGrade,
            m.InspectionTask,
            m.SupervisionField,
            m.SupervisionInterview,
        ):
            auditlog.register(model)

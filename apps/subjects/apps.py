from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "apps.subjects"
    label = "subjects"
    verbose_name = "信用主体"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Subject

        # The encrypted ID number and its lookup hash stay out of the log: the
        # log is readable by staff who may not see personal data unmasked.
        auditlog.register(Subject, exclude_fields=["id_number_encrypted", "id_number_hash"])

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_portal.settings")

app = Celery("credit_portal")
# Every Celery option lives in Django settings under the CELERY_ prefix, so the
# schedule and routing are reviewed with the rest of the configuration.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""Every scheduled (beat) task run twice leaves the same state as run once.

Beat can fire a task twice (a restarted beat, a retried delivery, an operator
re-running last night's job); the second run must change nothing. New entries
in CELERY_BEAT_SCHEDULE are picked up automatically.
"""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.db import models

from apps.backups.services import counted_models
from tests import test_permission_matrix as matrix

world, clients = matrix.world, matrix.clients

LATER = datetime.datetime(2027, 11, 1, 1, 0, tzinfo=datetime.UTC)  # publicity windows and list validity have passed


# Run logs record each run by design (when, how many subjects, how many changed): a second
# run adds its own line there and must change nothing else.
RUN_LOGS = {"evaluation_evaluationrun"}


def _state():
    """Every row of every platform table, without timestamps a rerun may legitimately touch."""
    state = {}
    for table, model in counted_models():
        if table in RUN_LOGS:
            continue
        skip = {f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)}
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
        state[table] = list(model.objects.order_by("pk").values_list(*fields))
    return state


@pytest.mark.django_db
def test_every_scheduled_task_is_idempotent(world):
    from credit_portal.celery import app

    app.loader.import_default_modules()
    names = sorted({entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()})
    assert names
    with time_machine.travel(LATER, tick=False):
        for name in names:
            app.tasks[name].apply(throw=True)
        once = _state()
        for name in names:
            app.tasks[name].apply(throw=True)
        twice = _state()
    changed = [table for table in once if once[table] != twice[table]]
    assert not changed, f"a second run changed {changed}"
    # And the first run did do something, so the comparison means something.
    from apps.records.choices import Status
    from apps.records.models import Record

    assert Record.objects.filter(status=Status.EXPIRED).exists()

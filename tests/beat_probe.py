"""Celery app for tests/test_beat_singleton.py (no tests here): the project's app, settings and beat
scheduler, with one entry that fires every second into a queue no worker reads, so the test can count what
two beats sent. Never import it into the test process: it replaces the shared app's schedule."""

import datetime

from credit_portal.celery import app

QUEUE = "beat-probe"  # test_beat_singleton.QUEUE
app.conf.beat_schedule = {
    "probe-every-second": {
        "task": "tests.beat_probe.never_run",
        "schedule": datetime.timedelta(seconds=1),
        "options": {"queue": QUEUE},
    }
}

"""A real Celery worker, started against the machine's Redis and the test
database, runs the nightly 重错码 scan end to end."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from apps.subjects.codes import build_uscc
from apps.subjects.models import Subject
from apps.subjects.services import subject_create

ROOT = Path(__file__).resolve().parent.parent
# A Redis database of its own, so a developer's running worker never takes the task.
BROKER = os.environ.get("CELERY_TEST_BROKER", "redis://127.0.0.1:6379/14")

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _database_url():
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(*, stdout=subprocess.PIPE, args=(), **extra_env) -> subprocess.Popen:
    """A real worker (solo pool, both queues) against the test database and the test broker; ``args`` are
    more command-line options (``-n`` a node name of its own when several run at once)."""
    if connection.vendor != "postgresql":
        pytest.fail("the worker test needs PostgreSQL (set DATABASE_URL, as bin/test does)")
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        REDIS_URL=BROKER,
        CELERY_TASK_ALWAYS_EAGER="0",
        DJANGO_ENV="test",
        **extra_env,
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "credit_portal",
            "worker",
            "-P",
            "solo",
            "-Q",
            "default,bulk",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def worker():
    process = start_worker()
    yield process
    stop_worker(process)


def test_worker_runs_the_nightly_scan_against_the_database(worker):
    good = subject_create(kind="legal", name="乳山市正和机械有限公司", uscc=build_uscc("91", "371083", "MA3C7788"))
    # Simulate a code that went bad behind the platform's back (e.g. a raw SQL fix):
    # only a real recheck by the worker can flag it.
    broken = good.uscc[:-1] + ("0" if good.uscc[-1] != "0" else "1")
    bad = subject_create(kind="legal", name="乳山市错码测试有限公司", uscc=good.uscc)
    Subject.objects.filter(pk=bad.pk).update(uscc=broken, code_valid=True)

    client = Celery(broker=BROKER, backend=BROKER)
    result = client.send_task("apps.subjects.tasks.nightly_code_quality_scan", queue="bulk")
    deadline = time.monotonic() + 90
    while not result.ready() and time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail("worker exited early:\n" + worker.stdout.read())
        time.sleep(0.5)
    assert result.ready(), "the worker did not finish the task in 90 s"
    summary = result.get(timeout=5)
    assert summary["erroneous_codes"] == 1
    assert summary["subjects"] == 2
    bad.refresh_from_db()
    assert bad.code_valid is False

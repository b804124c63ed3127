"""The bulk queue served by two real worker processes: two deliveries of one upload (the sweeper's re-send, a
message handed out again) reach both workers at once, and the upload is still imported exactly once.

The race is made certain, not left to timing: the test holds the advisory lock every writing transaction of
the department's penalty records takes (``services.intake_lock``), so whichever worker starts importing
stops at its first write, still inside the upload's task, while the second delivery reaches the other
worker. Without a claim across processes the second worker took the 处理中 upload for an abandoned one,
deleted the first one's batch and imported the file a second time next to it.
"""

import datetime
import time

import psycopg
import pytest
from celery import Celery
from django.db import connection

from apps.catalog.models import RecordType
from apps.records.choices import UploadStatus
from apps.records.intake.claim import uploads_claimed
from apps.records.intake.services import uploads_sweep
from apps.records.models import Record, RecordEvent, Submission, SubmissionBatch, Upload
from apps.records.tests.upload_support import csv_bytes, labels, penalty_cells, stored_upload

from .test_celery_worker import BROKER, start_worker, stop_worker

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ROWS = 60
BAD = {7, 31}  # rows with an impossible date: rejected, one Submission each


def _wait(predicate, seconds, what, workers=()):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        for process, log in workers:
            if process.poll() is not None:
                pytest.fail(f"a worker exited early:\n{log.read_text()}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def two_workers(tmp_path):
    """Two worker processes of their own (node names differ, as on two machines), both serving bulk."""
    started = []
    for name in ("w1", "w2"):
        log = tmp_path / f"{name}.log"
        process = start_worker(stdout=log.open("w"), args=("-n", f"{name}@%h"))
        started.append((process, log))
    _wait(lambda: all("ready." in log.read_text() for _, log in started), 60, "both workers to start", started)
    yield started
    for process, _ in started:
        stop_worker(process)


def test_two_workers_handed_one_upload_import_it_once(dept_a, clerk_a, two_workers):
    rows = [penalty_cells(dept_a, n, **({"CF_JDRQ": "2024-13-01"} if n in BAD else {})) for n in range(1, ROWS + 1)]
    penalty = RecordType.objects.get(code="penalty")
    upload = stored_upload(dept_a, clerk_a, csv_bytes([labels(), *rows]), "race.csv", original_name="并发.csv")
    s = connection.settings_dict
    gate = psycopg.connect(
        dbname=s["NAME"], user=s["USER"] or "postgres", host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432
    )
    gate.autocommit = True
    gate.execute("SELECT pg_advisory_lock(%s, %s)", [dept_a.pk, penalty.pk])
    client = Celery(broker=BROKER, backend=BROKER)
    try:
        first = client.send_task("apps.records.tasks.import_upload", args=[upload.pk], queue="bulk")
        # The first worker is importing (处理中) and stopped at the gate before the second message goes out,
        # so the two deliveries meet for certain, one in each worker (solo pool, prefetch 1).
        _wait(lambda: Upload.objects.filter(pk=upload.pk, status=UploadStatus.RUNNING).exists(), 30, "处理中")
        second = client.send_task("apps.records.tasks.import_upload", args=[upload.pk], queue="bulk")
        _wait(second.ready, 30, "the second delivery to return", two_workers)
        assert second.get(timeout=5) == {"skipped": True}
        assert not first.ready(), "the first worker must still be inside the import: the race was real"
        # Both worker logs: one took the task and waits at the gate, the other took the second and skipped it.
        logs = [log.read_text() for _, log in two_workers]
        assert sum("本次投递跳过" in text for text in logs) == 1
        assert all("apps.records.tasks.import_upload" in text for text in logs)
        # The sweeper, even long after, leaves an upload a live worker holds alone (no re-send, no attempt counted).
        assert uploads_claimed([upload.pk]) == {upload.pk}
        assert uploads_sweep(now=upload.created_at + datetime.timedelta(days=1)) == {"requeued": [], "failed": []}
    finally:
        gate.execute("SELECT pg_advisory_unlock(%s, %s)", [dept_a.pk, penalty.pk])
        gate.close()
    _wait(first.ready, 60, "the first worker to finish", two_workers)
    assert first.get(timeout=5) == {"accepted": ROWS - len(BAD), "rejected": len(BAD), "duplicates": 0}

    upload.refresh_from_db()
    good = ROWS - len(BAD)
    assert upload.status == UploadStatus.DONE and upload.attempts == 0
    assert (upload.accepted, upload.rejected, upload.duplicates) == (good, len(BAD), 0)
    assert upload.processed_rows == upload.total_rows == ROWS
    assert len([p for p in upload.problems if p["row"] is not None]) == len(BAD)
    records = Record.objects.filter(upload=upload)
    assert records.count() == Record.objects.count() == good
    assert records.values("decision_number").distinct().count() == good
    # One intake run as 合规率 counts it, each row once in it; one Submission per rejected row.
    assert list(SubmissionBatch.objects.values_list("upload", "rows", "accepted", "rejected")) == [
        (upload.pk, ROWS, good, len(BAD))
    ]
    assert Submission.objects.filter(upload=upload).count() == Submission.objects.count() == len(BAD)
    # A creation is no event (history.py reads it from the record); a second import next to the first would
    # have left none either, or a correction of the same content: none at all.
    assert not RecordEvent.objects.exists()
    assert uploads_claimed([upload.pk]) == set()  # released with the task

"""A Celery worker killed (SIGKILL) in the middle of a large import, then a new worker started:
the upload is re-run idempotently to the same end state — no record lost, none duplicated."""

import signal
import time

import pytest
from celery import Celery

from apps.records.choices import UploadStatus
from apps.records.models import Record, Submission, Upload
from apps.records.tests.upload_support import csv_bytes, labels, penalty_cells, stored_upload

from .test_celery_worker import BROKER, start_worker, stop_worker

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ROWS = 5000
BAD = {17, 1234, 4321}  # row indexes with an impossible date


def _wait(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_a_killed_worker_leaves_the_upload_to_the_next_one_which_ends_in_the_same_state(dept_a, clerk_a, tmp_path):
    rows = [penalty_cells(dept_a, n, **({"CF_JDRQ": "2024-13-01"} if n in BAD else {})) for n in range(1, ROWS + 1)]
    upload = stored_upload(dept_a, clerk_a, csv_bytes([labels(), *rows]), "big.csv", original_name="大批量.csv")
    # The broker hands an unacknowledged task out again once the visibility timeout has passed.
    # The pipeline path commits every 1,000 rows, slow enough to be killed in the middle; the staged path
    # stores these 5,000 rows in well under a second (its re-run is the same: stored rows come back as duplicates).
    env = {"CELERY_VISIBILITY_TIMEOUT": "3", "IMPORT_STAGED": "false"}
    first_log, second_log = (tmp_path / "first.log").open("w"), (tmp_path / "second.log").open("w")
    first = start_worker(stdout=first_log, **env)
    Celery(broker=BROKER, backend=BROKER).send_task("apps.records.tasks.import_upload", args=[upload.pk], queue="bulk")

    def some_batches_committed():
        return Upload.objects.filter(pk=upload.pk, processed_rows__gte=1000).exists()

    _wait(some_batches_committed, 120, "the first worker to commit a few batches")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.RUNNING and upload.processed_rows < ROWS, "killed too late to mean anything"
    stored_before = Record.objects.filter(department=dept_a).count()
    assert 0 < stored_before < ROWS - len(BAD)

    time.sleep(3.5)  # past the visibility timeout
    second = start_worker(stdout=second_log, **env)
    try:
        _wait(lambda: Upload.objects.get(pk=upload.pk).status == UploadStatus.DONE, 240, "the second worker to finish")
    finally:
        stop_worker(second)
    upload.refresh_from_db()
    good = ROWS - len(BAD)
    assert Record.objects.filter(department=dept_a).count() == good  # none lost
    assert Record.objects.filter(department=dept_a).values("decision_number").distinct().count() == good  # none twice
    # The re-run sees the first attempt's records as duplicates, counts every row once in its batch and
    # keeps one submission per rejected row.
    assert upload.accepted + upload.duplicates == good and upload.duplicates == stored_before
    assert upload.rejected == len(BAD)
    assert sum(upload.batches.values_list("rows", flat=True)) == ROWS
    assert Submission.objects.filter(upload=upload).count() == len(BAD)
    assert "重新处理" in (tmp_path / "second.log").read_text()

"""The upload claim (``intake/claim.py``) in one process: another database session holding it stands for a
live worker elsewhere (the two-process race is tests/test_workers_scaled_out.py). Tasks run eagerly."""

import datetime
import time

import psycopg
import pytest
import time_machine
from django.db import connection

from apps.records.choices import UploadStatus
from apps.records.intake.claim import UPLOAD_LOCK_SPACE, uploads_claimed
from apps.records.intake.services import upload_process, uploads_sweep
from apps.records.models import Record, SubmissionBatch, Upload

from .upload_support import FROZEN, csv_bytes, labels, penalty_cells, stored_upload

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's"),
]
ROWS = 3


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }


@pytest.fixture
def upload(dept_a, clerk_a):
    with time_machine.travel(FROZEN, tick=False):
        rows = [penalty_cells(dept_a, n) for n in range(1, ROWS + 1)]
        return stored_upload(dept_a, clerk_a, csv_bytes([labels(), *rows]), "a.csv", original_name="处罚.csv")


@pytest.fixture
def other_worker():
    """A second database session, as a worker process on another machine has."""
    s = connection.settings_dict
    with psycopg.connect(
        dbname=s["NAME"], user=s["USER"] or "postgres", host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432
    ) as session:
        session.autocommit = True
        yield session


def _wait_released(upload_id):
    """The server ends a closed session's backend (and its locks) a moment after the client hung up."""
    deadline = time.monotonic() + 10
    while uploads_claimed([upload_id]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uploads_claimed([upload_id]) == set()


def test_an_upload_another_worker_holds_is_left_to_it(upload, other_worker):
    other_worker.execute("SELECT pg_advisory_lock(%s, %s)", [UPLOAD_LOCK_SPACE, upload.pk])
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.RUNNING, processed_rows=1)
    assert upload_process(upload.pk) == {"skipped": True}
    # Untouched: not restarted as an abandoned 处理中 upload, nothing stored, no batch of its own.
    assert Upload.objects.filter(pk=upload.pk, status=UploadStatus.RUNNING, processed_rows=1).exists()
    assert not Record.objects.exists() and not SubmissionBatch.objects.exists()
    # The sweeper sees the live holder too, however long the upload has shown no progress.
    assert uploads_claimed([upload.pk, upload.pk + 1]) == {upload.pk}
    later = upload.created_at + datetime.timedelta(days=1)
    assert uploads_sweep(now=later) == {"requeued": [], "failed": []}
    assert Upload.objects.get(pk=upload.pk).attempts == 0

    # The holder's session ends (its worker was killed): the claim goes with it, and the upload is taken over.
    other_worker.close()
    _wait_released(upload.pk)
    with time_machine.travel(FROZEN, tick=False):
        assert upload_process(upload.pk) == {"accepted": ROWS, "rejected": 0, "duplicates": 0}
    assert Upload.objects.filter(pk=upload.pk, status=UploadStatus.DONE).exists()
    assert uploads_claimed([upload.pk]) == set()  # released when the import ended


def test_a_late_delivery_does_not_revive_a_failed_upload(upload):
    """The sweeper failed it after its last try; a message still in the queue must not import it behind the
    clerk's back (the clerk was told to upload it again)."""
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.FAILED, error="导入未能完成")
    upload_process(upload.pk)
    assert Upload.objects.filter(pk=upload.pk, status=UploadStatus.FAILED, error="导入未能完成").exists()
    assert not Record.objects.exists()

"""A real Celery worker with the prefork pool (as deployed) imports an .xlsx upload whose sheet is read in a
child process (``IMPORT_XLSX_PROCESS_MIN_MB=0``): a pool process is a child of the worker, and the reader is
a child of it, started by ``spawn`` (apps/records/intake/xlsx_process.py)."""

import time

import pytest
from celery import Celery

from apps.records.choices import UploadStatus
from apps.records.models import Record
from apps.records.tests.upload_support import labels, penalty_cells, stored_upload, xlsx_bytes

from .test_celery_worker import BROKER, start_worker, stop_worker

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ROWS = 300
BAD = {7, 150}  # rows with an impossible date


def test_a_prefork_worker_imports_an_xlsx_read_in_a_child_process(dept_a, clerk_a, tmp_path):
    rows = [penalty_cells(dept_a, n, **({"CF_JDRQ": "2024-13-01"} if n in BAD else {})) for n in range(1, ROWS + 1)]
    upload = stored_upload(dept_a, clerk_a, xlsx_bytes([labels(), *rows]), "penalties.xlsx", original_name="处罚.xlsx")
    log = (tmp_path / "worker.log").open("w")
    worker = start_worker(stdout=log, args=("-P", "prefork", "-c", "1"), IMPORT_XLSX_PROCESS_MIN_MB="0")
    try:
        Celery(broker=BROKER, backend=BROKER).send_task(
            "apps.records.tasks.import_upload", args=[upload.pk], queue="bulk"
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            upload.refresh_from_db()
            if upload.status not in (UploadStatus.QUEUED, UploadStatus.RUNNING) or worker.poll() is not None:
                break
            time.sleep(0.3)
    finally:
        stop_worker(worker)
    text = (tmp_path / "worker.log").read_text()
    assert upload.status == UploadStatus.DONE, text[-3000:]
    assert (upload.accepted, upload.rejected) == (ROWS - len(BAD), len(BAD))
    assert Record.objects.filter(department=dept_a).count() == ROWS - len(BAD)
    assert "Traceback" not in text, text[-3000:]
    assert "xlsx reader process" in text and "ended (exit code 0" in text, text[-3000:]

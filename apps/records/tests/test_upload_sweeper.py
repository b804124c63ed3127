"""Uploads stuck 排队中 when the broker lost their message: queued again by the sweeper, failed after a few
tries with a message the clerk sees, and shown on the credit center's dashboard. Tasks run eagerly."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from apps.records import tasks
from apps.records.choices import UploadStatus
from apps.records.intake.services import upload_process
from apps.records.models import Record, Submission, SubmissionBatch, Upload
from credit_portal.celery import app as celery_app

from .upload_support import FROZEN, csv_bytes, labels, penalty_cells, stored_upload

pytestmark = pytest.mark.django_db
ROWS = 3


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }
    settings.UPLOAD_STUCK_MINUTES = 30
    settings.UPLOAD_MAX_REQUEUES = 3


@pytest.fixture
def clock():
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def minutes(n):
    return FROZEN + datetime.timedelta(minutes=n)


@pytest.fixture
def lost_upload(clock, dept_a, clerk_a):
    """Stored as the upload form stores it, but its queue message never reached a worker."""
    rows = [labels()] + [penalty_cells(dept_a, n) for n in range(1, ROWS + 1)]
    return stored_upload(dept_a, clerk_a, csv_bytes(rows), "lost.csv", original_name="处罚.csv")


@pytest.fixture
def broker_loses_messages(monkeypatch):
    """Every message the sweeper sends is lost as the first one was (the worker never sees it)."""
    sent = []
    monkeypatch.setattr(tasks.import_upload, "delay", lambda upload_id: sent.append(upload_id))
    return sent


def test_a_lost_upload_is_queued_again_past_the_threshold_and_processed_once(lost_upload, clock):
    clock.move_to(minutes(29))
    assert tasks.sweep_stuck_uploads() == {"requeued": [], "failed": []}  # waiting in the queue is not being stuck

    clock.move_to(minutes(31))
    assert tasks.sweep_stuck_uploads() == {"requeued": [lost_upload.pk], "failed": []}
    lost_upload.refresh_from_db()
    assert (lost_upload.status, lost_upload.attempts, lost_upload.accepted) == (UploadStatus.DONE, 1, ROWS)
    assert Record.objects.count() == ROWS

    # The first message turning up after all, or another sweep: nothing is stored twice.
    clock.move_to(minutes(120))
    assert tasks.sweep_stuck_uploads() == {"requeued": [], "failed": []}
    tasks.import_upload.delay(lost_upload.pk)
    lost_upload.refresh_from_db()
    assert (lost_upload.status, lost_upload.accepted, lost_upload.duplicates) == (UploadStatus.DONE, ROWS, 0)
    assert Record.objects.count() == ROWS and _counted(lost_upload) == (ROWS, ROWS, 0)


def test_a_running_upload_without_progress_is_run_again_and_its_stored_rows_come_back_as_duplicates(lost_upload, clock):
    # A worker stored every row, then stalled before it could mark the upload done.
    upload_process(lost_upload.pk)
    Upload.objects.filter(pk=lost_upload.pk).update(status=UploadStatus.RUNNING, active_at=minutes(1))
    clock.move_to(minutes(20))
    assert tasks.sweep_stuck_uploads()["requeued"] == []  # it showed a sign of life 19 minutes ago
    clock.move_to(minutes(32))
    assert tasks.sweep_stuck_uploads()["requeued"] == [lost_upload.pk]
    lost_upload.refresh_from_db()
    assert (lost_upload.status, lost_upload.accepted, lost_upload.duplicates) == (UploadStatus.DONE, 0, ROWS)
    assert Record.objects.count() == ROWS
    # The redelivered run replaced the first attempt's batch: every row counted once.
    assert _counted(lost_upload) == (ROWS, 0, ROWS)
    assert not Submission.objects.filter(upload=lost_upload).exists()  # no rejected row to keep


def _counted(upload):
    """(rows, accepted, duplicates) counted for the upload's submission batches."""
    (batch,) = SubmissionBatch.objects.filter(upload=upload)
    return batch.rows, batch.accepted, batch.duplicates


def test_after_the_last_try_the_upload_fails_with_a_message_the_clerk_and_the_center_see(
    lost_upload, clock, broker_loses_messages, client_for, clerk_a, center
):
    for attempt in (1, 2, 3):
        clock.move_to(minutes(31 * attempt))
        assert tasks.sweep_stuck_uploads() == {"requeued": [lost_upload.pk], "failed": []}
        lost_upload.refresh_from_db()
        assert (lost_upload.status, lost_upload.attempts) == (UploadStatus.QUEUED, attempt)
    assert broker_loses_messages == [lost_upload.pk] * 3

    # Still retried: on the dashboard already, and the clerk is told it was queued again.
    dashboard = client_for(center).get(reverse("monitoring:dashboard")).content.decode()
    assert f'data-upload="{lost_upload.pk}"' in dashboard and "3 次" in dashboard
    page = client_for(clerk_a).get(reverse("records_upload:detail", args=[lost_upload.pk])).content.decode()
    assert "系统已自动重新排队 3 次，请稍候" in page

    clock.move_to(minutes(31 * 4))
    assert tasks.sweep_stuck_uploads() == {"requeued": [], "failed": [lost_upload.pk]}
    lost_upload.refresh_from_db()
    assert lost_upload.status == UploadStatus.FAILED and lost_upload.finished_at == minutes(31 * 4)
    message = "导入未能完成：文件长时间没有处理进展，系统已自动重新排队 3 次仍未完成，已停止处理。请重新上传该文件"
    assert lost_upload.error.startswith(message)
    assert not Record.objects.exists()
    assert tasks.sweep_stuck_uploads() == {"requeued": [], "failed": []}  # failed is final for the sweeper

    page = client_for(clerk_a).get(reverse("records_upload:detail", args=[lost_upload.pk]))
    assert page.status_code == 200 and message in page.content.decode()
    dashboard = client_for(center).get(reverse("monitoring:dashboard")).content.decode()
    row = dashboard[dashboard.index(f'data-upload="{lost_upload.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "处罚.csv" in row and "失败" in row and "3 次" in row and message in row


def test_the_dashboard_shows_an_upload_stuck_before_the_sweeper_came(lost_upload, clock, client_for, center):
    clock.move_to(minutes(45))
    dashboard = client_for(center).get(reverse("monitoring:dashboard")).content.decode()
    assert f'data-upload="{lost_upload.pk}"' in dashboard and "排队中" in dashboard
    upload_process(lost_upload.pk)
    dashboard = client_for(center).get(reverse("monitoring:dashboard")).content.decode()
    assert f'data-upload="{lost_upload.pk}"' not in dashboard and "目前没有卡在排队中或处理中的上传" in dashboard


def test_the_sweeper_is_scheduled_on_the_default_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["records-sweep-stuck-uploads"]
    assert entry["task"] == "apps.records.tasks.sweep_stuck_uploads" in celery_app.tasks
    route = celery_app.amqp.router.route({}, entry["task"])
    assert route["queue"].name == "default"  # not behind the imports on "bulk"

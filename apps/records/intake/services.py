"""Web uploads: storing an accepted file, processing it in the worker, and the sweeper of stuck uploads.

Queueing lives in ``apps/records/tasks.py`` (the layer above), so this module never imports the tasks.
"""

import datetime
import hashlib
import logging
import posixpath
import uuid

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.catalog.spec import TypeSpec

from ..choices import Source, Status, UploadStatus
from ..models import Record, Submission, SubmissionBatch, Upload
from ..review import review_queue_notify
from .claim import upload_claim, uploads_claimed
from .guards import (
    UploadError,
)
from .importing import Progress, import_table, read_failure_message
from .rows import CHUNK, extension_of
from .table import open_table
from .workbooks import result_workbook_name

logger = logging.getLogger(__name__)

# --- web uploads ------------------------------------------------------------------------------


def upload_queryset_for(user):
    """Uploads a user may see: their department's; the credit center sees all."""
    qs = Upload.objects.select_related("department", "record_type", "created_by")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser or getattr(user, "is_center", False):
        return qs
    if getattr(user, "is_department_staff", False) and user.department_id:
        return qs.filter(department_id=user.department_id)
    return qs.none()


def upload_process(upload_id: int) -> dict:
    """Read a stored upload and run it through the pipeline, recording progress on the Upload row.

    Any number of workers may be handed the same upload at once; the one that claims it (``claim.py``)
    imports it, the others return ``{"skipped": True}`` at once and change nothing.
    """
    with upload_claim(upload_id) as claimed:
        if not claimed:
            logger.info("上传批次 %s 正由另一个工作进程处理，本次投递跳过", upload_id)
            return {"skipped": True}
        return _upload_process_claimed(upload_id)


def _upload_process_claimed(upload_id: int) -> dict:
    upload = Upload.objects.select_related("department", "record_type", "created_by").filter(pk=upload_id).first()
    if upload is None:
        logger.warning("上传批次 %s 不存在", upload_id)
        return {}
    if upload.status not in (UploadStatus.QUEUED, UploadStatus.RUNNING):
        # Done (a late second delivery), or failed for good (by the sweeper, or its message never queued):
        # nothing to do, and a failed upload is not revived behind the clerk's back.
        return {"accepted": upload.accepted, "rejected": upload.rejected, "duplicates": upload.duplicates}
    if upload.status == UploadStatus.RUNNING:
        # We hold the claim, so the worker that set 处理中 is gone (killed, time limit, lost power) and its
        # message came back (acks_late) or the sweeper queued it again: start over. Rows already stored
        # come back as duplicates; the first attempt's batch counts and rejected rows are replaced.
        logger.warning("上传批次 %s 在处理中被重新投递，重新处理", upload.pk)
        Submission.objects.filter(upload=upload).delete()
        SubmissionBatch.objects.filter(upload=upload).delete()
    # Conditional: the sweeper may have failed it between the read above and here.
    started = Upload.objects.filter(pk=upload.pk, status__in=(UploadStatus.QUEUED, UploadStatus.RUNNING)).update(
        status=UploadStatus.RUNNING,
        processed_rows=0,
        accepted=0,
        rejected=0,
        duplicates=0,
        error="",
        problems=[],
        active_at=timezone.now(),
        warnings={},
    )
    if not started:
        return {}
    progress = Progress()
    notes: list[str] = []
    try:
        with upload.file.open("rb") as handle:
            table = open_table(handle, upload.original_name, TypeSpec.load(upload.record_type))
            table.check()
            notes = table.notes
            estimate = table.estimated_rows()
            Upload.objects.filter(pk=upload.pk).update(total_rows=estimate)

            def on_progress(p: Progress):
                nonlocal progress
                progress = p
                Upload.objects.filter(pk=upload.pk).update(
                    processed_rows=p.processed,
                    total_rows=max(estimate, p.processed),
                    active_at=timezone.now(),  # a sign of life for the sweeper
                    **p.as_dict(),
                )

            progress, _ = import_table(
                table,
                department=upload.department,
                source=Source.UPLOAD,
                actor=upload.created_by,
                upload=upload,
                on_progress=on_progress,
            )
    except Exception as exc:  # noqa: BLE001 — any failure must end as a visible "failed", never a stuck upload
        if not isinstance(exc, UploadError):
            logger.exception("上传批次 %s 处理失败", upload.pk)
        _finish(
            upload, progress, notes, status=UploadStatus.FAILED, error=read_failure_message(exc, progress.processed)
        )
        return progress.as_dict()
    _finish(upload, progress, notes, status=UploadStatus.DONE)
    if progress.rejected:
        try:
            result_workbook_name(Upload.objects.get(pk=upload.pk))
        except Exception:  # noqa: BLE001 — the marked file can be built again on download
            logger.exception("上传批次 %s 的问题标注文件生成失败", upload.pk)
    return progress.as_dict()


def _finish(upload, progress: Progress, notes, *, status, error=""):
    problems = [{"row": None, "note": n} for n in notes] + progress.rejected_rows
    fields = {
        "status": status,
        "error": error,
        "processed_rows": progress.processed,
        "problems": problems,
        "warnings": {"total": progress.warned, "rows": progress.warned_rows},
        "finished_at": timezone.now(),
        **progress.as_dict(),
    }
    if status == UploadStatus.DONE:
        fields["total_rows"] = progress.processed
    Upload.objects.filter(pk=upload.pk).update(**fields)
    if status == UploadStatus.DONE:
        waiting = Record.objects.filter(upload=upload, status=Status.PENDING_REVIEW).count()
        review_queue_notify(department=upload.department, count=waiting, what=f"上传文件“{upload.original_name}”中")


def upload_create(*, uploaded_file, record_type, department, user, original_name: str | None = None) -> Upload:
    """Store an accepted file (outside the web root) as a queued upload. The caller queues its import once the
    row is committed (``apps.records.tasks.upload_submit``)."""
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in (
        uploaded_file.chunks() if hasattr(uploaded_file, "chunks") else iter(lambda: uploaded_file.read(CHUNK), b"")
    ):
        digest.update(chunk)
    uploaded_file.seek(0)
    name = original_name or getattr(uploaded_file, "name", "") or "upload"
    upload = Upload(
        department=department,
        record_type=record_type,
        original_name=posixpath.basename(name.replace("\\", "/"))[:255],
        sha256=digest.hexdigest(),
        created_by=user if getattr(user, "pk", None) else None,
    )
    upload.file.save(f"{uuid.uuid4().hex}{extension_of(name)}", uploaded_file, save=False)
    upload.save()
    return upload


def upload_not_queued(upload_id: int) -> None:
    """A broker outage must not leave a new upload "queued" for ever."""
    Upload.objects.filter(pk=upload_id, status=UploadStatus.QUEUED).update(
        status=UploadStatus.FAILED,
        error="任务队列暂时不可用，文件未能开始处理，请稍后重新上传。",
        finished_at=timezone.now(),
    )


# --- the sweeper ------------------------------------------------------------------------------------------


def _no_sign_of_life_since(cutoff) -> Q:
    return Q(status__in=(UploadStatus.QUEUED, UploadStatus.RUNNING)) & (
        Q(active_at__lt=cutoff) | Q(active_at__isnull=True, created_at__lt=cutoff)
    )


def stuck_failure_message(attempts: int, processed: int) -> str:
    kept = f"此前已处理的 {processed} 行结果已保存，再次上传时这些行会识别为重复，不会重复入库。" if processed else ""
    return (
        f"导入未能完成：文件长时间没有处理进展，系统已自动重新排队 {attempts} 次仍未完成，已停止处理。{kept}"
        "请重新上传该文件；如仍出现此情况，请联系信用中心。"
    )


def uploads_sweep(*, now=None) -> dict:
    """Mark for queueing again every upload stuck 排队中/处理中 (a lost queue message, a stalled worker), failing it after
    UPLOAD_MAX_REQUEUES times.

    Running one twice is safe: ``upload_process`` returns at once for a finished upload or one another worker
    is importing, and a second run of an abandoned one finds the rows already stored as duplicates. Each
    change is a conditional update, so an upload that showed a sign of life meanwhile (or that another sweep
    took) is left alone.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.UPLOAD_STUCK_MINUTES)
    most = settings.UPLOAD_MAX_REQUEUES
    requeued, failed = [], []
    stuck = list(Upload.objects.filter(_no_sign_of_life_since(cutoff)).values_list("pk", "attempts", "processed_rows"))
    # A worker holding the upload's claim is alive (its database session is): a message sent now would only
    # be skipped. A worker hung for good is ended by CELERY_TASK_TIME_LIMIT, which releases the claim.
    busy = uploads_claimed(pk for pk, _, _ in stuck)
    for pk, attempts, processed in stuck:
        if pk in busy:
            continue
        still_stuck = Upload.objects.filter(_no_sign_of_life_since(cutoff), pk=pk, attempts=attempts)
        if attempts >= most:
            if still_stuck.update(
                status=UploadStatus.FAILED, error=stuck_failure_message(attempts, processed), finished_at=now
            ):
                logger.error("上传批次 %s 重新排队 %s 次后仍无进展，已标记失败", pk, attempts)
                failed.append(pk)
        elif still_stuck.update(attempts=attempts + 1, active_at=now):
            logger.warning("上传批次 %s 长时间无进展，第 %s 次重新排队", pk, attempts + 1)
            requeued.append(pk)  # the caller queues them; the broker down: the next sweep tries again (and counts it)
    return {"requeued": requeued, "failed": failed}


def uploads_needing_attention(*, now=None, limit: int = 50):
    """For the credit center's dashboard: unfinished uploads without a sign of life past the threshold,
    and every upload the sweeper queued again that did not end done (still retried, or failed by it)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.UPLOAD_STUCK_MINUTES)
    return (
        Upload.objects.select_related("department", "record_type")
        .filter(_no_sign_of_life_since(cutoff) | (Q(attempts__gt=0) & ~Q(status=UploadStatus.DONE)))
        .order_by("-created_at")[:limit]
    )

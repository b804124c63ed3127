"""Celery entry points of the records app, and the one place that puts uploads on the queue."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from apps.subjects.name_index import name_index_refresh

from .intake.services import upload_create, upload_not_queued, upload_process, uploads_sweep
from .partitions import ensure_partitions

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def import_upload(upload_id: int) -> dict:
    """Read a stored spreadsheet upload and run it through the intake pipeline (routed to the "bulk" queue)."""
    result = upload_process(upload_id)
    logger.info("上传批次 %s 导入完成：%s", upload_id, result)
    # After the import's rows are committed and the upload shows done: its new subjects into the name
    # search's side table (they were findable meanwhile through the queue).
    name_index_refresh()
    return result


@shared_task
def records_partitions_ensure() -> dict:
    """Partitions of records_record for this year and the years ahead, and for any year found in DEFAULT."""
    made = ensure_partitions(today=timezone.localdate())
    if made:
        logger.info("信用信息记录分区：新建 %s", "、".join(made))
    return {"created": made}


@shared_task
def sweep_stuck_uploads() -> dict:
    """Queue again the uploads stuck 排队中/处理中, failing them after a few tries (CELERY_BEAT_SCHEDULE)."""
    result = uploads_sweep()
    for upload_id in result["requeued"]:
        enqueue_upload(upload_id)
    if result["requeued"] or result["failed"]:
        logger.info("上传批次巡检：%s", result)
    return result


def enqueue_upload(upload_id: int) -> bool:
    """Send the upload's import to the queue; False (logged) when the broker cannot take it."""
    try:
        import_upload.delay(upload_id)
    except Exception:  # noqa: BLE001 — the caller decides what a broker outage means
        logger.exception("上传批次 %s 无法加入任务队列", upload_id)
        return False
    return True


def upload_submit(**kwargs):
    """Store an accepted file and queue its import once the row is committed (``upload_create``'s arguments)."""
    with transaction.atomic():
        upload = upload_create(**kwargs)
        transaction.on_commit(lambda: enqueue_upload(upload.pk) or upload_not_queued(upload.pk))
    return upload

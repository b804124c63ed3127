import logging

from celery import shared_task

from .uploads import upload_process, uploads_sweep

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def import_upload(upload_id: int) -> dict:
    """Read a stored spreadsheet upload and run it through the intake pipeline (routed to the "bulk" queue)."""
    result = upload_process(upload_id)
    logger.info("上传批次 %s 导入完成：%s", upload_id, result)
    return result


@shared_task
def sweep_stuck_uploads() -> dict:
    """Queue again the uploads stuck 排队中/处理中, failing them after a few tries (CELERY_BEAT_SCHEDULE)."""
    result = uploads_sweep()
    if result["requeued"] or result["failed"]:
        logger.info("上传批次巡检：%s", result)
    return result

import logging

from celery import shared_task

from .uploads import upload_process

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def import_upload(upload_id: int) -> dict:
    """Read a stored spreadsheet upload and run it through the intake pipeline (routed to the "bulk" queue)."""
    result = upload_process(upload_id)
    logger.info("上传批次 %s 导入完成：%s", upload_id, result)
    return result

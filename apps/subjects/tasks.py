import logging

from celery import shared_task

from .services import code_quality_scan

logger = logging.getLogger(__name__)


@shared_task
def nightly_code_quality_scan() -> dict:
    """Re-validate every USCC and measure 重错码 (scheduled in CELERY_BEAT_SCHEDULE)."""
    result = code_quality_scan(recheck=True)
    logger.info("重错码检查完成：%s", result)
    return result

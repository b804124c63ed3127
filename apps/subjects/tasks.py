import logging

from celery import shared_task

from .name_index import name_index_refresh
from .services import code_quality_scan

logger = logging.getLogger(__name__)


@shared_task
def nightly_code_quality_scan() -> dict:
    """Re-validate every USCC and measure 重错码 (scheduled in CELERY_BEAT_SCHEDULE)."""
    result = code_quality_scan(recheck=True)
    logger.info("重错码检查完成：%s", result)
    return result


@shared_task
def refresh_name_index() -> int:
    """Index the names of subjects registered since the last run (CELERY_BEAT_SCHEDULE, every minute)."""
    return name_index_refresh()

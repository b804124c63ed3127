"""Scheduled list maintenance (see CELERY_BEAT_SCHEDULE). Thin wrappers around the services."""

import logging

from celery import shared_task
from django.utils import timezone

from .services import list_entries_expire

logger = logging.getLogger(__name__)


@shared_task
def nightly_list_expiry() -> dict:
    """Entries past their validity leave their list (有效期届满自动移出); a second run changes nothing."""
    today = timezone.localdate()
    expired = list_entries_expire(today=today)
    logger.info("名单有效期届满自动移出：%s 条", expired)
    return {"expired": expired, "on": today.isoformat()}

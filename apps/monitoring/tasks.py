"""Scheduled maintenance (see CELERY_BEAT_SCHEDULE). Thin wrappers around the services."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from apps.records.lifecycle import records_expire, records_recompute_deadlines

from .scorecard import indicator_readings_take
from .selectors import Month
from .services import ranking_snapshot_take

logger = logging.getLogger(__name__)

# Deadlines of decisions older than this are not recomputed every night: their
# months are long closed. Pass ``since`` explicitly to recompute further back.
RECOMPUTE_WINDOW_DAYS = 400


@shared_task
def nightly_records_expire() -> dict:
    """Withdraw published records whose publicity window ended (公示期满自动撤下)."""
    expired = records_expire(today=timezone.localdate())
    logger.info("公示期满撤下记录：%s 条", expired)
    return {"expired": expired}


@shared_task
def nightly_recompute_deadlines(since: str | None = None) -> dict:
    """Re-derive report deadlines and on-time flags after calendar or policy changes.

    ``since`` is an ISO date; by default the last ``RECOMPUTE_WINDOW_DAYS`` days of decisions.
    """
    start = (
        datetime.date.fromisoformat(since)
        if since
        else timezone.localdate() - datetime.timedelta(days=RECOMPUTE_WINDOW_DAYS)
    )
    result = records_recompute_deadlines(since=start).as_dict()
    logger.info("报送期限重算（%s 起）：%s", start, result)
    return result | {"since": start.isoformat()}


@shared_task
def monthly_ranking_snapshot(month: str | None = None) -> dict:
    """Freeze the previous month's ranking (月末快照); a second run changes nothing."""
    target = Month.parse(month) if month else Month.current().previous
    snapshot, created = ranking_snapshot_take(target)
    logger.info("%s 部门排名快照：%s", target.param, "已生成" if created else "已存在")
    return {"month": target.param, "snapshot": snapshot.pk, "created": created}


@shared_task
def nightly_indicator_readings() -> dict:
    """Record today's value of every scorecard indicator (the dashboard's trends); rerunning overwrites today's."""
    taken = indicator_readings_take(on=timezone.localdate())
    logger.info("考核指标读数：%s 项", taken)
    return {"taken": taken}

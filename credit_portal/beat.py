"""Celery beat that may run twice by mistake without running a scheduled job twice (CELERY_BEAT_SCHEDULER).

Before sending a due entry, beat claims the entry's *slot* — the schedule's latest fire time at or before
now, the same for every beat whatever its own clock of last runs says — in Redis with ``SET NX EX``. The
first beat to claim a slot sends the task; any other beat finds the key and sends nothing, logging that it
skipped. So a second beat started by hand, a container restarted next to the old one, or a beat whose
schedule file was reset or restored sends each nightly run, each monthly snapshot, each 5-minute sweep once.

Why not another scheduler library: one Redis command a dispatch (the broker's Redis, which every beat
already needs), no schedule store to migrate, both beats stay symmetric (neither waits on a lock to take
over). The claim is an extra guard, not the only one: every scheduled task is also idempotent
(tests/test_daily_tasks_idempotent.py), so if Redis cannot be asked the entry is sent anyway.
"""

import copy
import datetime
import logging
import os
import socket

import redis
from celery.beat import PersistentScheduler
from celery.schedules import crontab
from celery.schedules import schedule as interval

logger = logging.getLogger(__name__)

KEY_PREFIX = "beat-slot"
# How long a claim outlives its slot's successor: two beat hosts whose clocks differ by less than this
# still agree on the slot. Keys expire on their own (one per entry and slot, a few hundred a day).
CLOCK_SKEW_SECONDS = 300
# A crontab that fires less than yearly (e.g. 29 February) is looked back this far for its latest slot.
LOOKBACK_DAYS = 4 * 366


def crontab_previous(cron: crontab, now: datetime.datetime) -> datetime.datetime | None:
    """The latest minute at or before ``now`` (wall time in the crontab's zone, naive) that ``cron`` fires at."""
    cursor = now.replace(second=0, microsecond=0)
    earliest = cursor - datetime.timedelta(days=LOOKBACK_DAYS)
    while cursor >= earliest:
        day_matches = (
            cursor.month in cron.month_of_year
            and cursor.day in cron.day_of_month
            and cursor.isoweekday() % 7 in cron.day_of_week  # crontab counts Sunday as 0
        )
        hours = [h for h in cron.hour if h <= cursor.hour] if day_matches else []
        if not hours:  # nothing left on this day: the day before, from its last minute
            cursor = cursor.replace(hour=0, minute=0) - datetime.timedelta(minutes=1)
            continue
        if max(hours) < cursor.hour:
            cursor = cursor.replace(hour=max(hours), minute=59)
        minutes = [m for m in cron.minute if m <= cursor.minute]
        if minutes:
            return cursor.replace(minute=max(minutes))
        cursor = cursor.replace(minute=0) - datetime.timedelta(minutes=1)  # the hour before
    return None


def slot_of(sched, now: datetime.datetime | None = None) -> tuple[str, int] | None:
    """(slot label, seconds its claim must live) of a celery schedule at ``now``; None for a kind we cannot
    place on a common grid (sent unclaimed, as stock beat would)."""
    if isinstance(sched, crontab):
        now = sched.maybe_make_aware(now or sched.now()).astimezone(sched.tz)
        previous = crontab_previous(sched, now.replace(tzinfo=None))
        if previous is None:
            return None
        slot = previous.replace(tzinfo=now.tzinfo)
        until_next = max(sched.remaining_estimate(slot).total_seconds(), 0)
        return slot.isoformat(timespec="minutes"), int(until_next) + CLOCK_SKEW_SECONDS
    if type(sched) is interval:
        # A plain interval has no fire times of its own (each beat counts from its own start): slots are
        # the interval's multiples since the epoch.
        period = sched.run_every.total_seconds()
        now = sched.maybe_make_aware(now or sched.now())
        if period <= 0:
            return None
        number = int(now.timestamp() // period)
        return f"every-{period:g}s-{number}", int(period) + CLOCK_SKEW_SECONDS
    return None


class SingletonScheduler(PersistentScheduler):
    """The stock scheduler (schedule file and all), each entry's slot claimed in Redis before it is sent."""

    def __init__(self, *args, **kwargs):
        self._claims = None
        self._owner = f"{socket.gethostname()}:{os.getpid()}"
        super().__init__(*args, **kwargs)

    def _redis(self):
        url = self.app.conf.broker_url or ""
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return None  # the embedded default (memory://): one process, nothing to share
        if self._claims is None:
            self._claims = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        return self._claims

    def claim(self, entry) -> str | None | bool:
        """The slot label when this beat claimed the entry's slot, False when another beat had, None when
        there was nothing to claim with (no Redis, a schedule without slots, Redis not answering)."""
        client = self._redis()
        slot = slot_of(entry.schedule)
        if client is None or slot is None:
            return None
        label, ttl = slot
        try:
            won = client.set(f"{KEY_PREFIX}:{entry.name}:{label}", self._owner, nx=True, ex=ttl)
        except redis.RedisError:
            logger.warning("定时任务 %s：无法在 Redis 登记本次运行（%s），照常发送", entry.name, label, exc_info=True)
            return None
        if not won:
            return False
        return label

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        if advance:
            entry, advance = self.reserve(entry), False
        claimed = self.claim(entry)
        if claimed is False:
            logger.warning("定时任务 %s 的本次运行已由另一个 beat 发送，本 beat 跳过（请只保留一个 beat）", entry.name)
            return None
        if claimed:
            # Tagged with its slot, so a worker's log and the broker show which run a message is.
            entry = copy.copy(entry)
            entry.options = {**entry.options, "headers": {**entry.options.get("headers", {}), "beat_slot": claimed}}
        return super().apply_async(entry, producer=producer, advance=advance, **kwargs)

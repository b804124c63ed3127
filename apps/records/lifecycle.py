"""Set-based maintenance of records: nightly withdrawal and deadline recomputation.

Both functions touch any number of records with a bounded number of
statements (no Python loop over records), and both are idempotent: running
them again on the same day changes nothing. On PostgreSQL both work one
partition of records_record (one decision year) at a time, each in its own
transaction, so a night's run locks and rewrites one year's rows at a time
(apps/records/partitions.py).

- :func:`records_expire` withdraws published records whose publicity window has
  ended (DOMAIN.md §4: "shown publicly … until its maximum period ends, then
  withdrawn automatically (kept internally)").
- :func:`records_recompute_deadlines` re-derives report deadlines and the
  on-time flag after the working-day calendar or the deadline policy changed.
"""

import datetime
from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from apps.catalog.choices import PolicyKey
from apps.catalog.models import RecordType
from apps.workdays.services import DeadlineTable

from .choices import Action, Status
from .models import Record, RecordEvent
from .partitions import Partition, partition_of, record_partitions
from .policy import PolicyCache, PolicyMissing

EXPIRE_CHUNK = 1000  # records withdrawn (and history rows written) per statement
VALUES_CHUNK = 2000
SYSTEM_ACTOR = "系统（公示期满自动撤下）"


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- Withdrawal at the end of the publicity window -------------------------------


def records_expire(*, today: datetime.date) -> int:
    """Withdraw every published record whose publicity ended before ``today``.

    Per partition, in one transaction, ``UPDATE … RETURNING`` flips the status of
    a chunk of them at a time (PostgreSQL, and SQLite ≥ 3.35) and their history
    rows are inserted after each chunk. Returns the number of records
    withdrawn (0 on a second run).
    """
    return sum(_expire_in(partition, today) for partition in record_partitions())


def _expire_in(partition: Partition, today: datetime.date) -> int:
    # In chunks, each the first ``EXPIRE_CHUNK`` by ``publicity_end``: ordered and limited, the look-up reads
    # the partial index on published records' ``publicity_end`` (records 0016) and stops where the ends not
    # yet due begin. Unordered, the planner multiplies the share of published records by the share of past
    # ends (it cannot know that past ends are almost all expired already) and scans the whole partition: at
    # 30 M records, 2.0 s for the 3.8 M rows of 2024 with nothing to withdraw (docs/scale.md).
    q = connection.ops.quote_name
    table = q(partition.name)
    sql = (
        f"UPDATE {table} SET {q('status')} = %s, {q('updated_at')} = %s WHERE {q('id')} IN ("  # noqa: S608 — names from the catalog
        f"SELECT {q('id')} FROM {table} WHERE {q('status')} = %s AND {q('publicity_end')} < %s "
        f"ORDER BY {q('publicity_end')} LIMIT %s) "
        f"RETURNING {q('id')}, {q('publicity_end')}"
    )
    now = timezone.now()
    withdrawn = 0
    with transaction.atomic():
        while True:
            with connection.cursor() as cursor:
                cursor.execute(sql, [Status.EXPIRED, now, Status.PUBLISHED, today, EXPIRE_CHUNK])
                expired = cursor.fetchall()
            RecordEvent.objects.bulk_create(
                [
                    RecordEvent(
                        record_id=record_id,
                        action=Action.EXPIRE,
                        actor_label=SYSTEM_ACTOR,
                        reason=f"公示截止日 {_as_date(end):%Y-%m-%d} 已过，自动撤下公示（记录在平台内保留）",
                        before={"status": Status.PUBLISHED},
                        after={"status": Status.EXPIRED},
                    )
                    for record_id, end in expired
                ]
            )
            withdrawn += len(expired)
            if len(expired) < EXPIRE_CHUNK:
                return withdrawn


def _as_date(value) -> datetime.date:
    # SQLite hands back dates as ISO strings through a raw cursor.
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


# --- Report deadlines and the on-time flag ----------------------------------------


@dataclass
class RecomputeResult:
    groups: int = 0  # distinct (record type, decision date) pairs examined
    updated: int = 0  # records whose deadline, calendar or on-time flag changed
    skipped: int = 0  # pairs without a deadline policy in force (left unchanged)

    def as_dict(self):
        return {"groups": self.groups, "updated": self.updated, "skipped": self.skipped}


def _deadline_groups(scope) -> tuple[list[tuple[int, datetime.date, datetime.date, str]], int]:
    """(record type, decision date) → (deadline, calendar), one calendar walk for all of them."""
    pairs = list(scope.values_list("record_type_id", "decision_date").distinct().order_by())
    if not pairs:
        return [], 0
    types = {t.pk: t for t in RecordType.objects.filter(pk__in={t for t, _ in pairs})}
    caches = {pk: PolicyCache(record_type) for pk, record_type in types.items()}
    days_by_pair, skipped = {}, 0
    for type_id, decision_date in pairs:
        try:
            days_by_pair[(type_id, decision_date)] = int(
                caches[type_id].get(PolicyKey.REPORT_DEADLINE_DAYS, decision_date)
            )
        except PolicyMissing:
            skipped += 1
    if not days_by_pair:
        return [], skipped
    first = min(d for _, d in days_by_pair)
    last = max(d for _, d in days_by_pair) + datetime.timedelta(days=max(days_by_pair.values()) * 2 + 62)
    table = DeadlineTable(first=first, last=last)
    groups = []
    for (type_id, decision_date), days in days_by_pair.items():
        result = table.add(start=decision_date, days=days)
        groups.append((type_id, decision_date, result.deadline, result.calendar))
    return groups, skipped


def _apply_postgresql(groups) -> int:
    """Per partition, in a transaction of its own: one ``UPDATE … FROM (VALUES …)`` per chunk of its
    date groups; unchanged rows are not written."""
    partitions = record_partitions()
    by_partition: dict[Partition, list] = {}
    for group in groups:
        by_partition.setdefault(partition_of(partitions, group[1]), []).append(group)
    updated = 0
    for partition, its_groups in by_partition.items():
        with transaction.atomic():
            updated += _apply_to(partition, its_groups)
    return updated


def _apply_to(partition: Partition, groups) -> int:
    q = connection.ops.quote_name
    table = q(partition.name)
    updated = 0
    for chunk in _chunks(groups, VALUES_CHUNK):
        values = ", ".join(["(%s::bigint, %s::date, %s::date, %s::varchar)"] * len(chunk))
        params = [item for group in chunk for item in group]
        timely = f"CASE WHEN r.{q('published_at')} IS NULL THEN NULL ELSE (r.{q('published_at')} AT TIME ZONE %s)::date <= v.deadline END"
        sql = (
            f"UPDATE {table} AS r SET {q('report_deadline')} = v.deadline, "  # noqa: S608 — names from _meta
            f"{q('deadline_calendar')} = v.calendar, {q('timely')} = {timely}, {q('updated_at')} = %s "
            f"FROM (VALUES {values}) AS v(type_id, decision_date, deadline, calendar) "
            f"WHERE r.{q('record_type_id')} = v.type_id AND r.{q('decision_date')} = v.decision_date AND ("
            f"r.{q('report_deadline')} IS DISTINCT FROM v.deadline "
            f"OR r.{q('deadline_calendar')} IS DISTINCT FROM v.calendar "
            f"OR r.{q('timely')} IS DISTINCT FROM ({timely}))"
        )
        tz = settings.TIME_ZONE
        with connection.cursor() as cursor:
            cursor.execute(sql, [tz, timezone.now(), *params, tz])
            updated += cursor.rowcount
    return updated


def _apply_portable(scope, groups) -> int:
    """Other databases (SQLite in development): one ORM ``UPDATE`` per distinct deadline."""
    by_deadline: dict[tuple[datetime.date, str], Q] = {}
    for type_id, decision_date, deadline, calendar in groups:
        key = (deadline, calendar)
        by_deadline[key] = by_deadline.get(key, Q()) | Q(record_type_id=type_id, decision_date=decision_date)
    updated = 0
    now = timezone.now()
    for (deadline, calendar), where in by_deadline.items():
        timely = Case(
            When(published_at__isnull=True, then=Value(None)),
            When(published_at__date__lte=deadline, then=Value(True)),
            default=Value(False),
        )
        stale = (
            ~Q(report_deadline=deadline)
            | Q(report_deadline__isnull=True)
            | ~Q(deadline_calendar=calendar)
            | Q(published_at__isnull=True, timely__isnull=False)
            | Q(published_at__date__lte=deadline) & ~Q(timely=True)
            | Q(published_at__date__gt=deadline) & ~Q(timely=False)
        )
        updated += (
            scope.filter(where)
            .filter(stale)
            .update(report_deadline=deadline, deadline_calendar=calendar, timely=timely, updated_at=now)
        )
    return updated


def records_recompute_deadlines(*, since: datetime.date | None = None) -> RecomputeResult:
    """Recompute ``report_deadline``, ``deadline_calendar`` and ``timely`` of records
    decided on or after ``since`` (all records when ``None``).

    Deadlines are derived once per distinct (record type, decision date) from a
    precomputed working-day table and the deadline policy in force on the
    decision date, then written set-based: on PostgreSQL a single
    ``UPDATE … FROM (VALUES …)`` per 2,000 date groups, elsewhere one ``UPDATE``
    per distinct deadline. ``timely`` is "published on or before the deadline, by
    the local (Asia/Shanghai) date of ``published_at``" (按时上网公示); records
    not yet published get ``NULL``. Rows that already hold the right values are not written, so a
    second run reports ``updated == 0``.
    """
    scope = Record.objects.all()
    if since is not None:
        scope = scope.filter(decision_date__gte=since)
    groups, skipped = _deadline_groups(scope)
    result = RecomputeResult(groups=len(groups) + skipped, skipped=skipped)
    if groups:
        if connection.vendor == "postgresql":
            result.updated = _apply_postgresql(groups)
        else:
            with transaction.atomic():
                result.updated = _apply_portable(scope, groups)
    return result

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from apps.catalog.models import Policy, RecordType
from apps.records import lifecycle
from apps.records.choices import Action, Status
from apps.records.lifecycle import _apply_portable, _deadline_groups, records_expire, records_recompute_deadlines
from apps.records.models import Record, RecordEvent
from apps.records.partitions import partition_of, record_partitions
from apps.workdays.choices import OverrideKind
from apps.workdays.services import calendar_override_set

from .factories import ingest_rows, penalty_row

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(datetime.datetime(*args, tzinfo=SHANGHAI), tick=False)


def decided(n):
    """Decision dates spread over September 2024 (weekends and the National Day break included)."""
    return (datetime.date(2024, 9, 1) + datetime.timedelta(days=n % 30)).isoformat()


# --- records_expire -------------------------------------------------------------------


def test_expire_withdraws_only_published_records_whose_window_ended_and_logs_it(dept_a):
    with at(2024, 10, 10, 10, 0):
        ingest_rows(dept_a, [penalty_row(dept_a, n) for n in range(1, 4)])
    first, second, third = Record.objects.order_by("pk")
    assert first.publicity_end == datetime.date(2025, 9, 27)
    Record.objects.filter(pk=second.pk).update(publicity_end=datetime.date(2025, 12, 31))
    Record.objects.filter(pk=third.pk).update(status=Status.REVOKED)

    # The end day itself is still inside the window.
    assert records_expire(today=datetime.date(2025, 9, 27)) == 0
    assert records_expire(today=datetime.date(2025, 9, 28)) == 1

    statuses = dict(Record.objects.values_list("pk", "status"))
    assert statuses == {first.pk: Status.EXPIRED, second.pk: Status.PUBLISHED, third.pk: Status.REVOKED}
    event = RecordEvent.objects.get(action=Action.EXPIRE)
    assert event.record_id == first.pk
    assert "2025-09-27" in event.reason
    assert event.after == {"status": Status.EXPIRED}
    # Kept internally, gone from the public window.
    assert not Record.objects.in_publicity(on=datetime.date(2025, 9, 28)).filter(pk=first.pk).exists()


def test_expire_is_set_based_and_idempotent(dept_a, django_assert_max_num_queries):
    with at(2024, 10, 10, 10, 0):
        ingest_rows(dept_a, [penalty_row(dept_a, n) for n in range(1, 201)])
    assert Record.objects.filter(status=Status.PUBLISHED).count() == 200
    # Bounded by the partitions (one decision year each, apps/records/partitions.py), not by the rows:
    # two catalog reads, then per partition a savepoint, the UPDATE and its release, plus the event chunk.
    partitions = len(record_partitions())

    with django_assert_max_num_queries(3 + 3 * partitions + 1):
        assert records_expire(today=datetime.date(2025, 10, 1)) == 200
    assert Record.objects.filter(status=Status.EXPIRED).count() == 200
    assert RecordEvent.objects.filter(action=Action.EXPIRE).count() == 200

    with django_assert_max_num_queries(3 + 3 * partitions):
        assert records_expire(today=datetime.date(2025, 10, 1)) == 0
    assert RecordEvent.objects.filter(action=Action.EXPIRE).count() == 200


def test_expire_works_in_chunks_ordered_by_the_end_of_publicity(dept_a, monkeypatch):
    """Chunks of ``EXPIRE_CHUNK`` by ``publicity_end``: each look-up reads the partial index on published
    records' ends and stops where the ends not yet due begin (docs/scale.md: a scan of every partition's
    rows at 30 M records otherwise)."""
    monkeypatch.setattr(lifecycle, "EXPIRE_CHUNK", 7)
    with at(2024, 10, 10, 10, 0):
        ingest_rows(dept_a, [penalty_row(dept_a, n) for n in range(1, 24)])
    assert records_expire(today=datetime.date(2025, 10, 1)) == 23
    assert Record.objects.filter(status=Status.EXPIRED).count() == 23
    assert RecordEvent.objects.filter(action=Action.EXPIRE).values("record_id").distinct().count() == 23
    assert records_expire(today=datetime.date(2025, 10, 1)) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the partial index is PostgreSQL's")
def test_the_withdrawal_look_up_can_read_the_partial_index_of_published_ends(dept_a):
    with at(2024, 10, 10, 10, 0):
        ingest_rows(dept_a, [penalty_row(dept_a, n) for n in range(1, 4)])
    partition = partition_of(record_partitions(), Record.objects.first().decision_date)
    with connection.cursor() as cursor:
        # Three rows: any plan does; with the scans that ignore order off, what is left shows the index can
        # hand the rows over in ``publicity_end`` order (no sort), which is what the LIMIT relies on at scale.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(
            f"EXPLAIN SELECT id FROM {partition.name} WHERE status = %s AND publicity_end < %s "  # noqa: S608 — a partition's name
            "ORDER BY publicity_end LIMIT %s",
            [Status.PUBLISHED, datetime.date(2025, 10, 1), 1000],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "publicity_end_idx" in plan and "Sort" not in plan, plan


# --- records_recompute_deadlines ----------------------------------------------------------


def test_recompute_restores_deadlines_set_based_and_idempotent(dept_a, django_assert_max_num_queries):
    with at(2024, 10, 10, 10, 0):
        ingest_rows(dept_a, [penalty_row(dept_a, n, CF_JDRQ=decided(n)) for n in range(1, 201)])
    expected = {r.pk: (r.report_deadline, r.deadline_calendar, r.timely) for r in Record.objects.all()}
    assert len({d for d, _, _ in expected.values()}) > 5  # many different deadlines
    assert {t for _, _, t in expected.values()} == {True, False}  # some late, some on time
    Record.objects.update(report_deadline=None, deadline_calendar="", timely=None)
    # PostgreSQL: one UPDATE … FROM (VALUES …) for all of them; elsewhere one UPDATE per distinct deadline.
    bound = 10 if connection.vendor == "postgresql" else 10 + len({d for d, _, _ in expected.values()})

    with django_assert_max_num_queries(bound):
        result = records_recompute_deadlines()
    assert result.updated == 200
    assert result.groups == 30
    assert {r.pk: (r.report_deadline, r.deadline_calendar, r.timely) for r in Record.objects.all()} == expected

    with django_assert_max_num_queries(bound):
        assert records_recompute_deadlines().updated == 0


def test_recompute_follows_a_calendar_change_and_judges_by_local_date(dept_a, center):
    # Reported 00:30 on 13 October in Shanghai — still 12 October in UTC.
    with at(2024, 10, 13, 0, 30):
        ingest_rows(dept_a, [penalty_row(dept_a)])
    record = Record.objects.get()
    assert record.report_deadline == datetime.date(2024, 10, 12)
    assert record.timely is False
    Record.objects.update(timely=True)  # wrong on purpose: recompute must use the local date
    assert records_recompute_deadlines().updated == 1
    assert Record.objects.get().timely is False

    # 8 October declared a holiday: the 7th working day moves to Monday 14 October.
    calendar_override_set(date=datetime.date(2024, 10, 8), kind=OverrideKind.HOLIDAY, note="测试", user=center)
    result = records_recompute_deadlines(since=datetime.date(2024, 9, 1))
    assert result.updated == 1
    record.refresh_from_db()
    assert record.report_deadline == datetime.date(2024, 10, 14)
    assert record.deadline_calendar == "official"
    assert record.timely is True
    assert records_recompute_deadlines(since=datetime.date(2024, 9, 1)).updated == 0


def test_recompute_applies_the_policy_in_force_on_the_decision_date_and_respects_since(dept_a):
    with at(2024, 10, 10, 10, 0):
        ingest_rows(dept_a, [penalty_row(dept_a, 1), penalty_row(dept_a, 2, CF_JDRQ="2024-08-30")])
    penalty = RecordType.objects.get(code="penalty")
    # Explicit pk: the catalog migration loads policies with fixed ids and (on PostgreSQL)
    # leaves the id sequence at 1 — reported to the catalog owner.
    next_pk = Policy.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    Policy.objects.create(
        pk=next_pk, key="report_deadline_days", record_type=penalty, value=5, effective_from="2024-09-01"
    )

    # Only decisions from 1 September are looked at.
    records_recompute_deadlines(since=datetime.date(2024, 9, 1))
    new, old = (
        Record.objects.get(decision_number__endswith="〕1号"),
        Record.objects.get(decision_number__endswith="〕2号"),
    )
    # 5 working days after Friday 27 September: 29, 30 September, 8, 9, 10 October.
    assert new.report_deadline == datetime.date(2024, 10, 10)
    assert new.timely is True  # reported on the 10th
    old_deadline = old.report_deadline
    Record.objects.filter(pk=old.pk).update(report_deadline=None)
    records_recompute_deadlines(since=datetime.date(2024, 9, 1))
    assert Record.objects.get(pk=old.pk).report_deadline is None  # outside ``since``
    records_recompute_deadlines()
    # Decided before the 5-day rule took effect: still 7 working days.
    assert Record.objects.get(pk=old.pk).report_deadline == old_deadline == datetime.date(2024, 9, 10)


def test_unreported_records_get_no_on_time_flag(dept_a):
    with at(2024, 10, 10, 10, 0):
        ingest_rows(dept_a, [penalty_row(dept_a)])
    Record.objects.update(status=Status.DRAFT, reported_at=None, published_at=None, timely=True, report_deadline=None)
    records_recompute_deadlines()
    record = Record.objects.get()
    assert record.timely is None
    assert record.report_deadline == datetime.date(2024, 10, 12)


def test_portable_path_gives_the_same_result(dept_a, django_assert_max_num_queries):
    """The per-deadline UPDATE used on SQLite, exercised here on the test database."""
    with at(2024, 10, 10, 10, 0):
        ingest_rows(dept_a, [penalty_row(dept_a, n, CF_JDRQ=decided(n)) for n in range(1, 61)])
    expected = {r.pk: (r.report_deadline, r.deadline_calendar, r.timely) for r in Record.objects.all()}
    Record.objects.update(report_deadline=None, deadline_calendar="", timely=None)
    groups, skipped = _deadline_groups(Record.objects.all())
    assert skipped == 0
    distinct_deadlines = len({(deadline, cal) for _, _, deadline, cal in groups})
    with django_assert_max_num_queries(distinct_deadlines):
        assert _apply_portable(Record.objects.all(), groups) == 60
    assert {r.pk: (r.report_deadline, r.deadline_calendar, r.timely) for r in Record.objects.all()} == expected
    assert _apply_portable(Record.objects.all(), groups) == 0

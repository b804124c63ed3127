"""records_record partitioned by decision year (migration records 0015, apps/records/partitions.py)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import RecordType
from apps.records.choices import Status
from apps.records.lifecycle import records_expire, records_recompute_deadlines
from apps.records.models import Record, RecordEvent
from apps.records.partitions import DEFAULT, ensure_partitions, record_partitions
from apps.records.selectors import export_records
from apps.records.services import records_ingest
from apps.records.tasks import records_partitions_ensure

from .factories import penalty_row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitioning is PostgreSQL's"),
]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ingest(dept, rows, *, on):
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(10), tzinfo=SHANGHAI), tick=False):
        return records_ingest(record_type="penalty", department=dept, rows=list(enumerate(rows, start=2)))


def home(record) -> str:
    """The partition a record's row is stored in."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM records_record WHERE id = %s", [record.pk])
        return cursor.fetchone()[0]


def plan(queryset) -> str:
    return queryset.explain()


def test_the_table_is_partitioned_by_year_with_a_default_for_the_rest():
    partitions = record_partitions()
    years = [p for p in partitions if not p.is_default]
    assert partitions[-1].name == DEFAULT
    assert years, "the migration makes this year's and next year's partitions"
    for partition in years:
        assert (partition.start.month, partition.start.day) == (1, 1)
        assert partition.end == partition.start.replace(year=partition.start.year + 1)
        assert partition.name == f"records_record_y{partition.start.year}"


def test_ensure_makes_years_ahead_and_moves_a_backfilled_year_out_of_default(dept_a):
    result = ingest(dept_a, [penalty_row(dept_a, 1, CF_JDRQ="2020-05-06")], on=datetime.date(2020, 5, 8))
    record = Record.objects.filter().first()
    assert record, result
    assert home(record) == DEFAULT  # no partition for 2020 yet
    events = RecordEvent.objects.filter(record=record).count()

    made = ensure_partitions(today=datetime.date(2040, 3, 1), years_ahead=1)

    assert made == ["records_record_y2020", "records_record_y2040", "records_record_y2041"]
    assert home(record) == "records_record_y2020"
    assert Record.objects.get(pk=record.pk).decision_number == record.decision_number
    assert RecordEvent.objects.filter(record=record).count() == events
    # The parent's indexes were built on the new partition when it was attached.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'records_record_y2020'")
        assert cursor.fetchone()[0] >= 9
    assert ensure_partitions(today=datetime.date(2040, 3, 1), years_ahead=1) == []


def test_the_daily_task_makes_next_years_partition(dept_a):
    with time_machine.travel(datetime.datetime(2044, 12, 31, 23, 0, tzinfo=SHANGHAI), tick=False):
        result = records_partitions_ensure.delay().get()
    assert result["created"][-2:] == ["records_record_y2044", "records_record_y2045"]
    assert any(p.name == "records_record_y2045" for p in record_partitions())
    with time_machine.travel(datetime.datetime(2044, 12, 31, 23, 30, tzinfo=SHANGHAI), tick=False):
        assert records_partitions_ensure.delay().get() == {"created": []}
    # New Year's night: next year's partition is made before any record of it can arrive.
    with time_machine.travel(datetime.datetime(2045, 1, 1, 0, 5, tzinfo=SHANGHAI), tick=False):
        assert records_partitions_ensure.delay().get() == {"created": ["records_record_y2046"]}


def test_date_range_queries_touch_only_their_partitions(dept_a):
    ensure_partitions(today=datetime.date(2023, 6, 1), years_ahead=2)  # 2023, 2024, 2025
    query = Record.objects.filter(decision_date__gte="2024-02-01", decision_date__lte="2024-11-30")
    text = plan(query)
    assert "records_record_y2024" in text
    for other in ("records_record_y2023", "records_record_y2025", DEFAULT):
        assert other not in text

    # The export by decision date — the provincial platform's period query — the same.
    export = export_records(
        record_type=RecordType.objects.get(code="penalty"),
        date_from=datetime.date(2024, 1, 1),
        date_to=datetime.date(2025, 12, 31),
    )
    text = plan(export)
    assert "records_record_y2024" in text and "records_record_y2025" in text
    assert "records_record_y2023" not in text and DEFAULT not in text


def test_a_corrected_decision_date_moves_the_record_and_keeps_one_record_per_number(dept_a):
    ensure_partitions(today=datetime.date(2024, 6, 1), years_ahead=1)  # 2024, 2025
    ingest(dept_a, [penalty_row(dept_a, 7, CF_JDRQ="2024-12-30")], on=datetime.date(2025, 1, 3))
    record = Record.objects.get()
    assert home(record) == "records_record_y2024"

    # The same decision number sent again with another decision date is a correction of that record,
    # not a second one: the natural key the database checks holds the date, the intake checks the number.
    result = ingest(dept_a, [penalty_row(dept_a, 7, CF_JDRQ="2025-01-02")], on=datetime.date(2025, 1, 6))

    assert Record.objects.count() == 1, result
    record = Record.objects.get()
    assert record.decision_date == datetime.date(2025, 1, 2)
    assert home(record) == "records_record_y2025"


def test_nightly_jobs_work_one_partition_at_a_time(dept_a):
    ensure_partitions(today=datetime.date(2023, 6, 1), years_ahead=1)  # 2023, 2024
    ingest(dept_a, [penalty_row(dept_a, n, CF_JDRQ="2023-11-20") for n in (1, 2)], on=datetime.date(2023, 11, 22))
    ingest(dept_a, [penalty_row(dept_a, n, CF_JDRQ="2024-03-04") for n in (3, 4)], on=datetime.date(2024, 3, 6))
    assert {home(r) for r in Record.objects.all()} == {"records_record_y2023", "records_record_y2024"}

    with CaptureQueriesContext(connection) as queries:
        assert records_expire(today=datetime.date(2030, 1, 1)) == 4
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert any('"records_record_y2023"' in sql for sql in updates)
    assert any('"records_record_y2024"' in sql for sql in updates)
    assert not any('UPDATE "records_record" ' in sql for sql in updates)  # never the whole table at once
    assert set(Record.objects.values_list("status", flat=True)) == {Status.EXPIRED}

    Record.objects.update(report_deadline=None, timely=None)
    with CaptureQueriesContext(connection) as queries:
        assert records_recompute_deadlines().updated == 4
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2
    assert {sql.split()[1] for sql in updates} == {'"records_record_y2023"', '"records_record_y2024"'}

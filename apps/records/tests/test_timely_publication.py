"""及时率 runs to publication (issue 14 item 6; seed 003: 按时上网公示).

Where a department reviews before publishing, the days the record waits for
review count against its 7 working days: ``timely`` is judged on the day the
record went public (``published_at``), not on the clerk's submission.

A decision on Friday 2024-09-27 is due by Saturday 2024-10-12 (a 调休 working
day; 10-01…10-07 off) — DOMAIN.md §4.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.monitoring.selectors import Month, month_figures
from apps.records.choices import Status
from apps.records.lifecycle import records_recompute_deadlines
from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.workflow import record_approve, record_return, record_submit

from .factories import penalty_row

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEADLINE = datetime.date(2024, 10, 12)


def at(*args):
    return time_machine.travel(datetime.datetime(*args, tzinfo=SHANGHAI), tick=False)


def submit(dept, n=1):
    records_ingest(record_type="penalty", department=dept, rows=[(2, penalty_row(dept, n))])
    return Record.objects.get(department=dept, decision_number=penalty_row(dept, n)["CF_WSH"])


@pytest.fixture
def reviewing(dept_a):
    dept_a.requires_review = True
    dept_a.save()
    return dept_a


def test_without_review_the_submission_is_the_publication(dept_a):
    with at(2024, 10, 12, 23, 30):
        record = submit(dept_a)
    assert record.status == Status.PUBLISHED and record.report_deadline == DEADLINE
    assert record.published_at == record.reported_at and record.timely is True


def test_review_delay_past_the_deadline_makes_the_record_late(reviewing, reviewer_a):
    with at(2024, 10, 11, 9, 0):
        record = submit(reviewing)
    # Reported in time, but not yet public: timeliness is not known yet.
    assert record.status == Status.PENDING_REVIEW and record.reported_at is not None
    assert record.published_at is None and record.timely is None
    with at(2024, 10, 14, 9, 0):
        record = record_approve(record=record, reviewer=reviewer_a)
    record.refresh_from_db()
    assert record.published_at == datetime.datetime(2024, 10, 14, 9, 0, tzinfo=SHANGHAI)
    assert record.timely is False


def test_approval_on_the_deadline_day_is_on_time(reviewing, reviewer_a):
    with at(2024, 10, 10, 9, 0):
        record = submit(reviewing)
    with at(2024, 10, 12, 23, 59):
        record_approve(record=record, reviewer=reviewer_a)
    record.refresh_from_db()
    assert record.timely is True and record.publicity_start == DEADLINE


def test_a_returned_record_forgets_its_publication(reviewing, reviewer_a, clerk_a):
    with at(2024, 10, 10, 9, 0):
        record = submit(reviewing)
        record = record_return(record=record, reviewer=reviewer_a, reason="文书号有误")
        assert record.reported_at is None and record.published_at is None and record.timely is None
        record = record_submit(record=record, actor=clerk_a)
    assert record.status == Status.PENDING_REVIEW and record.timely is None


def test_rates_count_published_records_and_records_waiting_past_their_deadline(reviewing, reviewer_a):
    october = Month(datetime.date(2024, 10, 1))
    with at(2024, 10, 11, 9, 0):
        on_time, late, waiting = submit(reviewing, 1), submit(reviewing, 2), submit(reviewing, 3)
        record_approve(record=on_time, reviewer=reviewer_a)
        figures = month_figures(months=[october]).department(reviewing.pk, october)
    # Before the deadline the two still in review are not judged yet.
    assert (figures.reported, figures.judged, figures.timely, figures.timely_rate) == (3, 1, 1, 100.0)

    with at(2024, 10, 15, 9, 0):
        record_approve(record=late, reviewer=reviewer_a)
        figures = month_figures(months=[october]).department(reviewing.pk, october)
    # Past the deadline: the late approval and the one still waiting both count against the department.
    assert (figures.reported, figures.judged, figures.timely, figures.late) == (3, 3, 1, 2)
    assert figures.timely_rate == 33.33
    waiting.refresh_from_db()
    assert waiting.timely is None


def test_nightly_recompute_judges_on_publication_not_submission(reviewing, reviewer_a):
    with at(2024, 10, 11, 9, 0):
        record = submit(reviewing)
    with at(2024, 10, 14, 9, 0):
        record_approve(record=record, reviewer=reviewer_a)
    # Someone "fixes" the stored flag by the submission date; the recompute puts the publication rule back.
    Record.objects.filter(pk=record.pk).update(timely=True)
    records_recompute_deadlines()
    record.refresh_from_db()
    assert record.timely is False
    # …and a record still in review stays unjudged.
    with at(2024, 10, 11, 9, 0):
        pending = submit(reviewing, 2)
    Record.objects.filter(pk=pending.pk).update(timely=True)
    records_recompute_deadlines()
    pending.refresh_from_db()
    assert pending.timely is None


def test_migration_backfills_publication_from_the_approval(reviewing, reviewer_a, dept_b):
    import importlib

    from django.apps import apps as django_apps

    backfill = importlib.import_module("apps.records.migrations.0008_record_published_at").backfill
    with at(2024, 10, 11, 9, 0):
        reviewed = submit(reviewing)
        direct = submit(dept_b)
        waiting = submit(reviewing, 2)
    with at(2024, 10, 14, 9, 0):
        record_approve(record=reviewed, reviewer=reviewer_a)
    # As the rows stood before the migration: judged on submission, no publication time.
    Record.objects.update(published_at=None, timely=True)
    backfill(django_apps, None)
    reviewed.refresh_from_db(), direct.refresh_from_db(), waiting.refresh_from_db()
    assert reviewed.published_at == datetime.datetime(2024, 10, 14, 9, 0, tzinfo=SHANGHAI)
    assert reviewed.timely is False
    assert direct.published_at == direct.reported_at and direct.timely is True
    assert waiting.published_at is None and waiting.timely is None

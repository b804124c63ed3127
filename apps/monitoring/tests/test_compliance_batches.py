"""合规率 from the intake runs' batch counts gives the figures the per-row submissions gave.

Two ways on the same data:

1. Rows stored the old way (one ``Submission`` per row received, compliant or not, across a local
   month boundary), counted per row as ``month_figures`` used to; then converted by migration 0012
   and counted from the batches; then converted back by its reverse step and counted per row again.
2. Rows sent through every intake path today (form, upload, API, command; accepted, corrections,
   duplicates, rejections, a refused form attempt), with the per-row count the old code would have
   stored rebuilt from each run's own outcomes, against the batch counts.
"""

import datetime
import importlib
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from apps.catalog.models import RecordType
from apps.monitoring.selectors import Month, month_figures
from apps.records.choices import Outcome, Source
from apps.records.models import Submission, SubmissionBatch
from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row

from .conftest import at

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER, NOVEMBER = Month(datetime.date(2024, 10, 1)), Month(datetime.date(2024, 11, 1))
conversion = importlib.import_module("apps.records.migrations.0012_submissions_to_batches")


class _Editor:
    """What the migration's RunPython functions use of a schema editor."""

    connection = connection


def per_row_figures():
    """合规率's cells as month_figures counted them before the batches: one row per submission."""
    rows = (
        Submission.objects.annotate(month=TruncMonth("created_at", tzinfo=SHANGHAI))
        .values("department_id", "record_type_id", "month")
        .annotate(submitted=Count("pk"), compliant=Count("pk", filter=Q(compliant=True)))
        .order_by()
    )
    return {
        (r["department_id"], r["record_type_id"], r["month"].astimezone(SHANGHAI).date()): (
            r["submitted"],
            r["compliant"],
        )
        for r in rows
    }


def batch_figures():
    cells = month_figures(months=[OCTOBER, NOVEMBER])
    return {key: (f.submitted, f.compliant) for key, f in cells.cells.items() if f.submitted}


def legacy(dept, rtype, when, outcome, *, upload=None, source=Source.UPLOAD, user=None):
    s = Submission.objects.create(
        department=dept,
        record_type=rtype,
        source=source,
        upload=upload,
        raw={"n": 1} if outcome == "rejected" else {},
        compliant=outcome != Outcome.REJECTED,
        outcome=outcome,
        created_by=user,
        problems=["x"] if outcome == "rejected" else [],
    )
    Submission.objects.filter(pk=s.pk).update(created_at=datetime.datetime(*when, tzinfo=SHANGHAI))
    return s


def test_old_per_row_submissions_convert_to_batches_with_the_same_rates_and_back(dept_a, dept_b, clerk_a):
    penalty, license_ = RecordType.objects.get(code="penalty"), RecordType.objects.get(code="license")
    for n in range(7):
        legacy(dept_a, penalty, (2024, 10, 3, 9, n), Outcome.ACCEPTED, user=clerk_a)
    legacy(dept_a, penalty, (2024, 10, 3, 9, 30), Outcome.DUPLICATE, user=clerk_a)
    legacy(dept_a, penalty, (2024, 10, 3, 9, 31), Outcome.UPDATED, user=clerk_a)
    kept = [legacy(dept_a, penalty, (2024, 10, 3, 9, 32 + n), Outcome.REJECTED, user=clerk_a) for n in range(3)]
    # 00:30 on 1 November in Shanghai is still 31 October in UTC: a November row.
    legacy(dept_a, penalty, (2024, 11, 1, 0, 30), Outcome.ACCEPTED, user=clerk_a)
    kept.append(legacy(dept_a, penalty, (2024, 11, 1, 0, 31), Outcome.REJECTED, user=clerk_a))
    legacy(dept_a, license_, (2024, 10, 31, 23, 59), Outcome.ACCEPTED, source=Source.API)
    kept.append(legacy(dept_b, penalty, (2024, 11, 5, 8, 0), Outcome.REJECTED, source=Source.FORM))
    before = per_row_figures()
    assert before[(dept_a.pk, penalty.pk, OCTOBER.first)] == (12, 9)

    conversion.forwards(django_apps, _Editor())

    assert batch_figures() == before
    assert set(Submission.objects.values_list("pk", flat=True)) == {s.pk for s in kept}  # the rejected rows only
    assert not Submission.objects.filter(batch__isnull=True).exists()  # every kept row linked
    assert set(Submission.objects.values_list("outcome", flat=True)) == {Outcome.REJECTED}
    october = SubmissionBatch.objects.get(department=dept_a, record_type=penalty, month=OCTOBER.first)
    assert (
        october.rows,
        october.compliant,
        october.accepted,
        october.updated,
        october.duplicates,
        october.rejected,
    ) == (
        12,
        9,
        7,
        1,
        1,
        3,
    )
    assert october.submissions.count() == 3 and october.created_by == clerk_a

    conversion.backwards(django_apps, _Editor())

    assert per_row_figures() == before
    assert not SubmissionBatch.objects.exists()


def test_every_intake_path_counts_in_its_batch_what_it_used_to_store_row_by_row(dept_a, clerk_a, client_for):
    per_row = Counter()

    def run(rows, *, source, keep_rejected=True, **kw):
        summary = records_ingest(
            record_type="penalty",
            department=dept_a,
            rows=list(enumerate(rows, start=2)),
            source=source,
            keep_rejected=keep_rejected,
            **kw,
        )
        # What the old code stored: one submission per row, a refused form attempt excepted.
        stored = [o for o in summary.outcomes if keep_rejected or o.outcome != Outcome.REJECTED]
        per_row["submitted"] += len(stored)
        per_row["compliant"] += sum(o.outcome != Outcome.REJECTED for o in stored)

    bad = {"CF_JDRQ": "2024-13-40"}
    with at(2024, 10, 10, 9, 0):
        run([penalty_row(dept_a, n) for n in range(1, 6)] + [penalty_row(dept_a, 6, **bad)], source=Source.UPLOAD)
        run([penalty_row(dept_a, 1), penalty_row(dept_a, 2, CF_NR="罚款人民币6000元")], source=Source.API)
        run([penalty_row(dept_a, 7, **bad)], source=Source.FORM, keep_rejected=False, actor=clerk_a)
        run([penalty_row(dept_a, 8)], source=Source.FORM, keep_rejected=False, actor=clerk_a)
        run([penalty_row(dept_a, 9, **bad), penalty_row(dept_a, 9, **bad)], source=Source.COMMAND)
    figures = month_figures(months=[OCTOBER]).department(dept_a.pk, OCTOBER)
    assert (figures.submitted, figures.compliant) == (per_row["submitted"], per_row["compliant"]) == (11, 8)
    assert figures.compliance_rate == 72.73
    assert Submission.objects.count() == 3  # the rejected rows only, each linked to its run's batch
    assert SubmissionBatch.objects.count() == 4 and not Submission.objects.filter(batch__isnull=True).exists()

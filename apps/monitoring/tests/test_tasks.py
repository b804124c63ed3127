import datetime

import pytest

from apps.monitoring.models import RankingSnapshot
from apps.monitoring.tasks import monthly_ranking_snapshot, nightly_recompute_deadlines, nightly_records_expire
from apps.records.choices import Status
from apps.records.models import Record

from .conftest import at

pytestmark = pytest.mark.django_db


def test_monthly_snapshot_freezes_the_previous_month_once(october, client_for, center):
    with at(2024, 11, 1, 1, 0):
        result = monthly_ranking_snapshot.apply().get()
        assert result["month"] == "2024-10" and result["created"] is True
        assert monthly_ranking_snapshot.apply().get()["created"] is False
    snapshot = RankingSnapshot.objects.get()
    assert snapshot.month == datetime.date(2024, 10, 1)
    assert not snapshot.is_published and snapshot.created_by is None
    assert [row["department_code"] for row in snapshot.data["rows"]] == ["swj", "scjgj", "yjj"]

    # The page shows the snapshot as awaiting publication; publishing keeps its figures.
    with at(2024, 11, 3, 9, 0):
        browser = client_for(center)
        assert "待发布" in browser.get("/monitoring/ranking/", {"month": "2024-10"}).content.decode()
        Record.objects.filter(record_type__code="license").update(status=Status.REVOKED)
        browser.post("/monitoring/ranking/publish/", {"month": "2024-10"})
    snapshot.refresh_from_db()
    assert snapshot.is_published
    assert snapshot.data["rows"][1]["reported"] == 3  # as frozen at month end


def test_nightly_tasks_run(october):
    Record.objects.update(report_deadline=None, timely=None)
    with at(2025, 9, 28, 0, 10):
        assert nightly_records_expire.delay().get() == {"expired": 2}
        assert nightly_records_expire.delay().get() == {"expired": 0}
        result = nightly_recompute_deadlines.delay().get()
        assert result["updated"] == 3 and result["since"] == "2024-08-24"
        assert nightly_recompute_deadlines.delay(since="2024-01-01").get()["updated"] == 0
    assert set(Record.objects.values_list("status", flat=True)) == {Status.EXPIRED, Status.PUBLISHED}
    assert Record.objects.get(record_type__code="license").timely is False

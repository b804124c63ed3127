"""The nightly list expiry task: thin, and a second run changes nothing."""

import datetime

import pytest
import time_machine

from apps.lists.choices import EntryState
from apps.lists.models import ListEntry, ListType
from apps.lists.tasks import nightly_list_expiry
from apps.records.models import RecordEvent
from apps.records.services import records_ingest

from .factories import list_entry_row

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 10, 10)


@pytest.fixture(autouse=True)
def frozen():
    # 16:30 UTC on 9 October is 00:30 on 10 October in Asia/Shanghai: the task uses the local date.
    with time_machine.travel(datetime.datetime(2024, 10, 9, 16, 30, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def entries(dept_b):
    ListType.objects.get(code="major_tax_violation").recognisers.add(dept_b)
    rows = [
        list_entry_row(dept_b, 1),  # 36 months: stays
        list_entry_row(dept_b, 2, MD_YXQZ="2024-10-09"),  # ended yesterday: leaves tonight
        list_entry_row(dept_b, 3, MD_YXQZ="2024-10-10"),  # last day today: stays
    ]
    summary = records_ingest(record_type="list_entry", department=dept_b, rows=list(enumerate(rows, 2)), today=TODAY)
    assert summary.as_dict()["accepted"] == 3


def test_nightly_expiry_removes_entries_past_validity_and_is_idempotent(entries):
    events_before = RecordEvent.objects.count()
    assert nightly_list_expiry() == {"expired": 1, "on": "2024-10-10"}
    states = dict(ListEntry.objects.values_list("record__decision_number", "state"))
    assert states == {
        "乳税稽罚〔2024〕1号": EntryState.LISTED,
        "乳税稽罚〔2024〕2号": EntryState.REMOVED,
        "乳税稽罚〔2024〕3号": EntryState.LISTED,
    }
    expired = ListEntry.objects.get(state=EntryState.REMOVED)
    assert expired.removed_on == TODAY and expired.removal_reason == "有效期届满自动移出"
    assert RecordEvent.objects.count() == events_before + 1

    assert nightly_list_expiry() == {"expired": 0, "on": "2024-10-10"}
    assert RecordEvent.objects.count() == events_before + 1
    assert ListEntry.objects.filter(state=EntryState.REMOVED).count() == 1


def test_the_task_runs_through_celery(entries):
    # Run as a Celery task in this process, as a worker started by beat would run it.
    assert nightly_list_expiry.apply().get() == {"expired": 1, "on": "2024-10-10"}
    with time_machine.travel(datetime.datetime(2024, 10, 10, 16, 30, tzinfo=datetime.UTC), tick=False):
        assert nightly_list_expiry.apply().get() == {"expired": 1, "on": "2024-10-11"}
    assert not ListEntry.objects.filter(state=EntryState.LISTED, valid_until__lt=datetime.date(2024, 10, 11)).exists()

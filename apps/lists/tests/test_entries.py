import datetime

import pytest
import time_machine

from apps.lists.choices import EntryState
from apps.lists.models import ListEntry, ListType
from apps.lists.services import list_entries_expire, list_entry_remove
from apps.records.services import records_ingest

from .factories import list_entry_row

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 10, 10)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def tax_list(dept_b):
    list_type = ListType.objects.get(code="major_tax_violation")
    list_type.recognisers.add(dept_b)
    return list_type


def ingest(dept, rows):
    return records_ingest(record_type="list_entry", department=dept, rows=list(enumerate(rows, start=2)), today=TODAY)


def test_recognition_goes_through_the_pipeline_and_creates_the_entry(dept_b, tax_list):
    summary = ingest(dept_b, [list_entry_row(dept_b)])
    assert summary.as_dict()["accepted"] == 1, summary.outcomes[0].problems
    entry = ListEntry.objects.get()
    assert entry.list_type == tax_list and entry.state == EntryState.LISTED
    assert entry.legal_representative == "王强"
    # No validity given: the list type's 36 months apply.
    assert entry.valid_until == datetime.date(2027, 9, 27)
    assert entry.record.report_deadline == datetime.date(2024, 10, 12) and entry.record.timely
    assert ListEntry.objects.active(on=TODAY).count() == 1


def test_department_not_named_as_recogniser_is_refused(dept_a, tax_list):
    summary = ingest(dept_a, [list_entry_row(dept_a)])
    assert summary.as_dict()["rejected"] == 1
    assert "无权认定" in str(summary.outcomes[0].problems)
    assert not ListEntry.objects.exists()


def test_unknown_list_type_is_rejected(dept_b, tax_list):
    summary = ingest(dept_b, [list_entry_row(dept_b, list_type="不存在的名单")])
    assert "不在可选值中" in str(summary.outcomes[0].problems)


def test_removal_and_expiry_take_entries_out_at_once(dept_b, tax_list, center):
    ingest(dept_b, [list_entry_row(dept_b, 1), list_entry_row(dept_b, 2, MD_YXQZ="2024-10-01")])
    assert ListEntry.objects.active(on=TODAY).count() == 1  # the second is already past its validity
    assert list_entries_expire(today=TODAY) == 1
    assert list_entries_expire(today=TODAY) == 0
    entry = ListEntry.objects.get(state=EntryState.LISTED)
    list_entry_remove(entry=entry, actor=center, reason="已纠正失信行为并完成信用修复")
    assert not ListEntry.objects.active(on=TODAY).exists()
    assert entry.record.events.filter(reason__contains="移出名单").exists()

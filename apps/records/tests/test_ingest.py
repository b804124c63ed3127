import datetime

import pytest
import time_machine

from apps.records.choices import Outcome, Status
from apps.records.history import record_events
from apps.records.models import Record, RecordEvent, Submission, SubmissionBatch
from apps.records.services import records_ingest
from apps.subjects.models import Subject

from .factories import license_row, penalty_row

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 10, 10)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def ingest(dept, rows, type_code="penalty", **kw):
    return records_ingest(
        record_type=type_code, department=dept, rows=list(enumerate(rows, start=2)), today=TODAY, **kw
    )


def test_valid_penalty_is_published_with_deadline_and_window(dept_a):
    summary = ingest(dept_a, [penalty_row(dept_a)])
    assert summary.as_dict() == {"accepted": 1, "rejected": 0, "duplicates": 0}
    record = Record.objects.get()
    assert record.status == Status.PUBLISHED
    # Decided Friday 2024-09-27: 7 working days with the National Day break and 调休 → 2024-10-12.
    assert record.report_deadline == datetime.date(2024, 10, 12)
    assert record.timely is True
    # General dishonesty under the 2023 rule: minimum 3 months, maximum 1 year.
    assert record.publicity_min_end == datetime.date(2024, 12, 27)
    assert record.publicity_end == datetime.date(2025, 9, 27)
    assert record.subject.uscc == record.data["CF_XDR_SHXYM"]
    # The creation is the record's own (no "create" event row); the history shows it first.
    assert not RecordEvent.objects.filter(record=record).exists()
    (creation,) = record_events(record)
    assert (
        creation.action == "create" and creation.at == record.created_at and creation.after == {"status": "published"}
    )
    batch = SubmissionBatch.objects.get()
    assert (batch.rows, batch.compliant, batch.accepted, batch.rejected) == (1, 1, 1, 0)
    assert not Submission.objects.exists()  # an accepted row keeps no per-row submission


def test_resending_the_same_rows_creates_no_duplicates(dept_a):
    rows = [penalty_row(dept_a, n) for n in range(1, 4)]
    ingest(dept_a, rows)
    again = ingest(dept_a, rows)
    assert again.as_dict() == {"accepted": 0, "rejected": 0, "duplicates": 3}
    assert Record.objects.count() == 3
    assert Subject.objects.count() == 3


def test_changed_row_with_same_document_number_is_a_correction_with_history(dept_a):
    ingest(dept_a, [penalty_row(dept_a)])
    summary = ingest(dept_a, [penalty_row(dept_a, CF_NR="罚款人民币6000元")])
    assert summary.outcomes[0].outcome == Outcome.UPDATED
    event = RecordEvent.objects.get(action="correct")
    assert event.before["CF_NR"] != event.after["CF_NR"] == "罚款人民币6000元"


def test_every_problem_of_every_row_is_reported_and_good_rows_are_kept(dept_a):
    rows = [
        penalty_row(dept_a, 1),
        penalty_row(dept_a, 2, CF_XDR_SHXYM="91371083MA3D00021X", CF_JDRQ="2024-13-01", CF_NR_FK=None),
        penalty_row(
            dept_a, 3, CF_XDR_LB="自然人", CF_XDR_SHXYM=None, CF_XDR_ZJLX="身份证", CF_XDR_ZJHM="37108319900101123X"
        ),
        penalty_row(dept_a, 1),  # same document number as row 2 of the file
    ]
    summary = ingest(dept_a, rows)
    assert summary.as_dict() == {"accepted": 1, "rejected": 3, "duplicates": 0}
    bad = summary.outcomes[1]
    messages = " ".join(str(p) for p in bad.problems)
    assert "校验码" in messages and "不是有效日期" in messages and "罚款金额" in messages
    person = " ".join(str(p) for p in summary.outcomes[2].problems)
    assert "法定代表人" in person  # a 自然人 row never carries a legal representative
    assert "第2行" in " ".join(str(p) for p in summary.outcomes[3].problems)
    assert Record.objects.count() == 1
    assert Submission.objects.filter(compliant=False).count() == 3


def test_normalisation_of_dates_codes_and_open_validity(dept_a):
    row = license_row(
        dept_a,
        XK_XDR_SHXYM=license_row(dept_a)["XK_XDR_SHXYM"].lower(),
        XK_JDRQ="2024年9月27日",
        XK_YXQZ=45562,  # Excel serial for 2024-09-27
        XK_YXQZI="长期",
        XK_XKLB=" 普通 ",
    )
    summary = ingest(dept_a, [row], type_code="license")
    assert summary.as_dict()["accepted"] == 1, summary.outcomes[0].problems
    record = Record.objects.get()
    assert record.data["XK_YXQZ"] == "2024-09-27"
    assert record.data["XK_YXQZI"] == "2099-12-31"


def test_department_cannot_submit_another_departments_data(dept_a, dept_b):
    summary = ingest(dept_a, [penalty_row(dept_b)])
    assert summary.as_dict()["rejected"] == 1
    assert "只能报送本部门数据" in str(summary.outcomes[0].problems)


def test_warning_only_penalty_is_not_publicised(dept_a):
    ingest(dept_a, [penalty_row(dept_a, CF_CFLB="警告", CF_NR_FK=None, CF_NR_WFFF=None, CF_NR="警告")])
    record = Record.objects.get()
    assert record.is_publicised is False
    assert not Record.objects.in_publicity(on=TODAY).exists()


def test_person_id_numbers_are_stored_masked(dept_a):
    row = penalty_row(
        dept_a,
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM=None,
        CF_FRDB=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM="11010519491231002X",
    )
    summary = ingest(dept_a, [row])
    assert summary.as_dict()["accepted"] == 1, summary.outcomes[0].problems
    record = Record.objects.get()
    assert record.data["CF_XDR_ZJHM"] == "110105********002X"
    assert "11010519491231002X" not in str(record.data)
    assert not Submission.objects.exists()  # only a rejected row is kept as sent (masked: see test_rejected_…)
    assert record.subject.id_number_masked == "110105********002X"

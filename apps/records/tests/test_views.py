import datetime

import pytest
import time_machine
from django.urls import reverse

from apps.records.choices import Status
from apps.records.models import Record, RecordEvent, Submission
from apps.records.services import records_ingest

from .factories import penalty_row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def _post_data(row, **extra):
    data = dict(row)
    if "CF_CFLB" in data:
        data["CF_CFLB"] = data["CF_CFLB"].split(";")
    data.update(extra)
    return data


def test_form_is_generated_from_the_catalog(client_for, clerk_a):
    page = client_for(clerk_a).get(reverse("records:create", args=["penalty"]))
    html = page.content.decode()
    for label in ["行政相对人名称", "行政处罚决定书文号", "处罚类别", "罚款金额（万元）", "公示截止期"]:
        assert label in html
    # The clerk's own department is prefilled as authority and source.
    assert page.context["form"].initial["CF_SJLYDM"] == clerk_a.department.uscc


def test_clerk_submits_a_penalty_through_the_form(client_for, clerk_a, dept_a):
    response = client_for(clerk_a).post(
        reverse("records:create", args=["penalty"]), _post_data(penalty_row(dept_a), submit="")
    )
    record = Record.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("records:detail", args=[record.pk])
    assert record.status == Status.PUBLISHED and record.timely is True and record.created_by == clerk_a


def test_form_shows_every_problem_inline_and_saves_nothing(client_for, clerk_a, dept_a):
    row = penalty_row(dept_a, CF_XDR_SHXYM="91371083MA3D00011X", CF_JDRQ="2099-01-01", CF_NR_FK="", CF_WSH="")
    response = client_for(clerk_a).post(reverse("records:create", args=["penalty"]), _post_data(row, submit=""))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"CF_XDR_SHXYM", "CF_JDRQ", "CF_NR_FK", "CF_WSH"} <= set(errors)
    assert "决定日期不能晚于今天" in response.content.decode()
    assert not Record.objects.exists()


def test_draft_then_submit_sets_the_reporting_time(client_for, clerk_a, dept_a):
    client = client_for(clerk_a)
    client.post(reverse("records:create", args=["penalty"]), _post_data(penalty_row(dept_a), draft=""))
    record = Record.objects.get()
    assert record.status == Status.DRAFT and record.reported_at is None and record.timely is None
    client.post(reverse("records:action", args=[record.pk, "submit"]))
    record.refresh_from_db()
    assert record.status == Status.PUBLISHED and record.reported_at is not None and record.timely is True


def test_department_review_holds_records_until_approved(client_for, clerk_a, reviewer_a, dept_a):
    dept_a.requires_review = True
    dept_a.save()
    client_for(clerk_a).post(reverse("records:create", args=["penalty"]), _post_data(penalty_row(dept_a), submit=""))
    record = Record.objects.get()
    assert record.status == Status.PENDING_REVIEW
    assert client_for(clerk_a).post(reverse("records:action", args=[record.pk, "approve"])).status_code == 403
    client_for(reviewer_a).post(reverse("records:action", args=[record.pk, "approve"]))
    record.refresh_from_db()
    assert record.status == Status.PUBLISHED and record.publicity_start == datetime.date(2024, 10, 10)


def test_correction_keeps_history_with_reason(client_for, clerk_a, dept_a):
    records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a))], actor=clerk_a)
    record = Record.objects.get()
    data = _post_data(penalty_row(dept_a, CF_NR="罚款人民币8000元"), _reason="金额录入错误")
    response = client_for(clerk_a).post(reverse("records:edit", args=[record.pk]), data)
    assert response.status_code == 302
    event = RecordEvent.objects.get(action="correct")
    assert event.reason == "金额录入错误" and event.after["CF_NR"] == "罚款人民币8000元"
    history = client_for(clerk_a).get(reverse("records:detail", args=[record.pk])).content.decode()
    assert "金额录入错误" in history


def test_revocation_needs_a_reason_and_keeps_the_record(client_for, clerk_a, dept_a):
    records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a))])
    record = Record.objects.get()
    client = client_for(clerk_a)
    client.post(reverse("records:action", args=[record.pk, "revoke"]), {"reason": ""})
    record.refresh_from_db()
    assert record.status == Status.PUBLISHED
    client.post(reverse("records:action", args=[record.pk, "revoke"]), {"reason": "复议撤销原处罚决定"})
    record.refresh_from_db()
    assert record.status == Status.REVOKED
    assert record.events.filter(action="revoke", reason="复议撤销原处罚决定").exists()


def test_clerk_cannot_see_or_change_another_departments_record(client_for, clerk_b, dept_a):
    records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a))])
    record = Record.objects.get()
    client = client_for(clerk_b)
    assert client.get(reverse("records:detail", args=[record.pk])).status_code == 404
    assert client.get(reverse("records:edit", args=[record.pk])).status_code == 404
    assert client.post(reverse("records:action", args=[record.pk, "revoke"]), {"reason": "x"}).status_code == 404
    assert record.decision_number not in client.get(reverse("records:list")).content.decode()


def test_clerk_cannot_report_a_type_without_the_power(client_for, clerk_b):
    # dept_b holds penalty and list powers, not licensing.
    assert client_for(clerk_b).get(reverse("records:create", args=["license"])).status_code == 403


def test_rejected_row_is_fixed_through_the_form(client_for, clerk_a, dept_a):
    bad = penalty_row(dept_a, CF_JDRQ="2024-13-40")
    records_ingest(record_type="penalty", department=dept_a, rows=[(7, bad)], source="upload")
    submission = Submission.objects.get()
    client = client_for(clerk_a)
    page = client.get(reverse("records:fix_submission", args=[submission.pk]))
    assert page.context["form"].initial["CF_WSH"] == bad["CF_WSH"]
    assert "不是有效日期" in page.content.decode()
    client.post(reverse("records:fix_submission", args=[submission.pk]), _post_data(penalty_row(dept_a), submit=""))
    submission.refresh_from_db()
    assert submission.fixed and submission.record.status == Status.PUBLISHED


def test_script_in_text_is_shown_inert(client_for, clerk_a, dept_a):
    records_ingest(
        record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a, CF_SY="<script>alert(1)</script>"))]
    )
    html = client_for(clerk_a).get(reverse("records:detail", args=[Record.objects.get().pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html

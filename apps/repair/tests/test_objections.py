import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from apps.lists.checks import credit_check_run
from apps.lists.choices import CheckChannel, EntryState
from apps.lists.models import ListEntry
from apps.lists.tests.checks_support import company_code, entry, make_recogniser
from apps.records.models import RecordEvent
from apps.records.selectors import public_records
from apps.records.services import records_ingest
from apps.repair.choices import ObjectionOutcome, ObjectionState
from apps.repair.models import Objection
from apps.repair.services.objections import (
    objection_accept,
    objection_correct,
    objection_refuse,
    objection_revoke,
    objection_submit,
    objection_uphold,
)

from .conftest import TODAY, pdf_file, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


def file(record, **kwargs):
    values = dict(
        record=record,
        contact_name="李明",
        contact_phone="13900000000",
        contact_email="liming@example.com",
        relation="该企业员工",
        grounds="违法行为类型填写有误，应为“虚假宣传”。",
    )
    values.update(kwargs)
    return objection_submit(**values)


def test_public_objection_marks_the_record_publicly_until_answered(penalty, center, reviewer_a):
    page = reverse("records_public:detail", args=[penalty.pk])
    response = Client().post(
        reverse("repair:objection_create", args=[penalty.pk]),
        {
            "contact_name": "李明",
            "contact_phone": "13900000000",
            "contact_email": "liming@example.com",
            "relation": "利害关系人",
            "grounds": "处罚对象弄错了。",
        },
    )
    assert response.status_code == 200 and "异议申请已提交" in response.content.decode()
    objection = Objection.objects.get()
    assert objection.filer is None and objection.due_on.isoformat() == "2025-03-05"
    assert "异议处理中" in Client().get(page).content.decode()
    objection_accept(objection=objection, actor=center)
    objection_uphold(objection=objection, actor=reviewer_a, reply="经核实，处罚对象无误，维持原信息。")
    objection.refresh_from_db()
    assert (objection.state, objection.outcome) == (ObjectionState.CLOSED, ObjectionOutcome.UPHELD)
    assert "异议处理中" not in Client().get(page).content.decode()


def test_public_form_reports_every_problem_at_once(penalty):
    response = Client().post(
        reverse("repair:objection_create", args=[penalty.pk]),
        {"contact_id_number": "110105194912310021", "evidence": pdf_file("x.pdf").__class__("x.pdf", b"MZ\x90\x00")},
    )
    html = response.content.decode()
    for message in ("姓名或单位名称", "请说明您与该信息的关系", "异议内容及理由", "电子邮箱"):
        assert message in html, message
    assert "第18位校验码不符" in html and "不是 PDF、JPG、PNG 文件" in html
    assert not Objection.objects.exists()


def test_correction_shows_the_new_value_publicly_and_keeps_the_old_in_history(
    penalty, center, reviewer_a, django_capture_on_commit_callbacks
):
    objection = file(penalty)
    objection_accept(objection=objection, actor=center)
    with django_capture_on_commit_callbacks(execute=True):
        objection_correct(
            objection=objection, actor=reviewer_a, changes={"CF_WFXW": "虚假宣传"}, reply="经核实，已更正违法行为类型。"
        )
    objection.refresh_from_db()
    penalty.refresh_from_db()
    assert objection.outcome == ObjectionOutcome.CORRECTED and not penalty.under_objection
    assert penalty.data["CF_WFXW"] == "虚假宣传" and penalty in public_records(on=TODAY)
    html = Client().get(reverse("records_public:detail", args=[penalty.pk])).content.decode()
    assert "虚假宣传" in html and "销售不合格产品" not in html
    event = RecordEvent.objects.filter(record=penalty, action="correct").get()
    assert event.before["CF_WFXW"] == "销售不合格产品" and event.after["CF_WFXW"] == "虚假宣传"
    assert objection.number in event.reason
    assert penalty.private_data == {} and event.after["CF_WSH"] == penalty.decision_number
    assert any(m.to == ["liming@example.com"] and "更正" in m.subject for m in mail.outbox)


def test_correction_that_breaks_a_rule_is_refused_and_changes_nothing(penalty, center, reviewer_a):
    objection = file(penalty)
    objection_accept(objection=objection, actor=center)
    with pytest.raises(ValidationError) as exc:
        objection_correct(objection=objection, actor=reviewer_a, changes={"CF_NR_FK": "-1"}, reply="更正金额")
    assert "更正后的信息未通过校验" in exc.value.messages[0]
    with pytest.raises(ValidationError, match="不能更正"):
        objection_correct(objection=objection, actor=reviewer_a, changes={"CF_WSH": "x"}, reply="更正文号")
    objection.refresh_from_db()
    assert objection.state == ObjectionState.VERIFYING


def test_other_departments_reviewer_cannot_answer(penalty, center, reviewer_b, client_for):
    objection = file(penalty)
    objection_accept(objection=objection, actor=center)
    with pytest.raises(PermissionDenied):
        objection_uphold(objection=objection, actor=reviewer_b, reply="维持")
    client = client_for(reviewer_b)
    assert client.get(reverse("repair:objection_detail", args=[objection.pk])).status_code == 404
    response = client.post(reverse("repair:objection_action", args=[objection.pk, "uphold"]), {"reply": "维持"})
    assert response.status_code == 404
    assert objection.number not in client.get(reverse("repair:objections")).content.decode()


def test_refused_objection_is_answered(penalty, center):
    objection = file(penalty)
    objection_refuse(objection=objection, actor=center, reply="申请人与该信息无利害关系。")
    penalty.refresh_from_db()
    assert not penalty.under_objection


def test_wrong_list_entry_is_revoked_removed_and_stops_measures(dept_b, center, reviewer_b):
    make_recogniser(dept_b)
    records_ingest(record_type="list_entry", department=dept_b, rows=[(2, entry(dept_b, 1))], today=TODAY)
    listed = ListEntry.objects.get()
    check = credit_check_run(query=company_code(1), matter="bidding", channel=CheckChannel.WEB)
    assert check.result["lists"] and check.result["measures"]
    objection = file(listed.record, relation="本企业法定代表人", grounds="本企业未虚开发票，认定错误。")
    objection_accept(objection=objection, actor=center)
    objection_revoke(objection=objection, actor=reviewer_b, reply="经复核认定有误，已撤销并移出名单。")
    listed.refresh_from_db()
    assert listed.state == EntryState.REMOVED and listed.record.status == "revoked"
    after = credit_check_run(query=company_code(1), matter="bidding", channel=CheckChannel.WEB)
    assert after.result["lists"] == [] and after.result["measures"] == []
    actions = list(RecordEvent.objects.filter(record=listed.record).values_list("action", flat=True))
    assert actions[-2:] == ["remove", "revoke"]

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from apps.lists.checks import credit_check_run
from apps.lists.choices import CheckChannel
from apps.notifications.models import Notification
from apps.records.models import Record, RecordEvent
from apps.records.selectors import public_records
from apps.repair.choices import RepairState
from apps.repair.models import RepairApplication
from apps.repair.services.applications import (
    repair_application_accept,
    repair_application_approve,
    repair_application_reject,
    repair_application_request_supplement,
    repair_application_submit,
    repair_application_supplement,
    repair_application_verify,
    repair_application_withdraw,
    repair_eligibility,
)

from .conftest import TODAY, ingest_penalty, materials, pdf_file, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


def apply(owner, records, **kwargs):
    kwargs.setdefault("materials", materials())
    return repair_application_submit(
        records=records,
        subject=owner.subject,
        applicant=owner,
        contact_name="张伟",
        contact_phone="13800000000",
        contact_email="",
        statement="罚款已于2024年10月8日缴清，问题产品已全部下架。",
        **kwargs,
    )


def test_eligible_application_is_submitted_with_history_and_working_day_deadline(owner, penalty, center):
    (application,) = apply(owner, [penalty])
    assert application.state == RepairState.SUBMITTED
    assert application.number == f"XF2025{application.pk:06d}"
    # 2 working days (policy) after Monday 2025-03-03, the filing day not counted.
    assert application.due_on == datetime.date(2025, 3, 5) and application.due_calendar == "official"
    (event,) = application.events.all()
    assert (event.action, event.from_state, event.to_state, event.actor) == ("submit", "", "submitted", owner)
    assert sorted(application.materials.values_list("kind", flat=True)) == ["commitment", "fulfilment"]
    penalty.refresh_from_db()
    assert penalty.under_repair and not penalty.repaired
    assert Notification.objects.filter(user=center, title__contains=application.number).exists()


def test_minimum_period_not_passed_is_refused_with_the_date(owner, dept_a):
    with travel(datetime.datetime(2025, 1, 2, 2, 0, tzinfo=datetime.UTC)):
        recent = ingest_penalty(
            dept_a, 2, CF_XDR_MC=owner.subject.name, CF_XDR_SHXYM=owner.subject.uscc, CF_JDRQ="2024-12-20"
        )
    with pytest.raises(ValidationError) as exc:
        apply(owner, [recent])
    (message,) = exc.value.message_dict["records"]
    assert message == "乳市监罚〔2024〕2号：最短公示期尚未届满：2025年03月20日 起方可申请修复（还差 17 天）。"
    assert not RepairApplication.objects.exists()


def test_every_reason_is_given_at_once(owner, penalty, dept_a, dept_b):
    other = ingest_penalty(dept_b, 3, CF_JDRQ="2025-03-03")  # another company's, decided today
    apply(owner, [penalty])
    with pytest.raises(ValidationError) as exc:
        apply(owner, [penalty, other], materials=[("fulfilment", pdf_file())])
    errors = exc.value.message_dict
    assert errors["records"] == [
        "乳市监罚〔2024〕1号：该信息已有正在办理的信用修复申请（编号 "
        f"{RepairApplication.objects.get().number}，待受理）。",
        "乳市监罚〔2024〕3号：该信息不属于您的信用主体，只能为本主体的信息申请修复。",
        "乳市监罚〔2024〕3号：最短公示期尚未届满：2025年06月03日 起方可申请修复（还差 92 天）。",
    ]
    assert errors["commitment"] == ["请上传“信用修复承诺书（签章）”（按政策一般失信信息须提交）。"]


def test_type_not_repairable_by_policy_is_refused(owner, dept_a):
    from apps.records.services import records_ingest
    from apps.records.tests.factories import license_row

    with travel(datetime.datetime(2024, 9, 27, 2, 0, tzinfo=datetime.UTC)):
        row = license_row(dept_a, 4, XK_XDR_MC=owner.subject.name, XK_XDR_SHXYM=owner.subject.uscc)
        records_ingest(record_type="license", department=dept_a, rows=[(2, row)])
    licence = Record.objects.get(record_type__code="license")
    assert repair_eligibility(record=licence, on=TODAY, subject=owner.subject) == [
        "“行政许可”类信息按现行政策不可申请信用修复。"
    ]


def test_serious_penalty_needs_training_and_credit_report(owner, dept_a):
    from apps.records.services import records_ingest
    from apps.records.tests.factories import penalty_row

    with travel(datetime.datetime(2023, 9, 27, 2, 0, tzinfo=datetime.UTC)):
        row = penalty_row(
            dept_a,
            5,
            CF_XDR_MC=owner.subject.name,
            CF_XDR_SHXYM=owner.subject.uscc,
            CF_JDRQ="2023-09-27",
            CF_WSH="乳市监罚〔2023〕5号",
        )
        records_ingest(record_type="penalty", department=dept_a, rows=[(2, row)], severity="serious")
    serious = Record.objects.get(decision_number="乳市监罚〔2023〕5号")
    with pytest.raises(ValidationError) as exc:
        apply(owner, [serious])
    assert set(exc.value.message_dict) == {"training", "credit_report"}


def test_full_journey_approval_stops_publicity_and_credit_check_at_once(
    owner, penalty, center, reviewer_a, django_capture_on_commit_callbacks
):
    (application,) = apply(owner, [penalty])
    assert penalty in public_records(on=TODAY)
    repair_application_accept(application=application, actor=center)
    application.refresh_from_db()
    assert application.state == RepairState.DEPARTMENT_REVIEW and application.accepted_on == TODAY
    assert application.due_on == datetime.date(2025, 3, 6)  # 3 working days to verify
    repair_application_verify(application=application, actor=reviewer_a, agrees=True, opinion="罚款已缴清，整改到位。")
    application.refresh_from_db()
    assert application.state == RepairState.CENTER_REVIEW
    assert application.due_on == datetime.date(2025, 3, 10)  # 5 working days from acceptance
    before = credit_check_run(query=owner.subject.uscc, matter="bidding", channel=CheckChannel.WEB)
    assert [r["decision_number"] for r in before.result["records"]] == [penalty.decision_number]

    with django_capture_on_commit_callbacks(execute=True):
        repair_application_approve(application=application, reviewer=center, reason="材料齐全，准予修复。")

    application.refresh_from_db()
    penalty.refresh_from_db()
    assert application.state == RepairState.APPROVED and application.due_on is None
    assert penalty.repaired and not penalty.under_repair
    assert penalty not in public_records(on=TODAY)
    after = credit_check_run(query=owner.subject.uscc, matter="bidding", channel=CheckChannel.WEB)
    assert after.result["records"] == []
    # Kept internally, with its repair history.
    event = RecordEvent.objects.filter(record=penalty).last()
    assert event.before == {"repaired": False} and event.after == {"repaired": True}
    assert application.number in event.reason
    assert [e.action for e in application.events.all()] == ["submit", "accept", "verify", "approve"]
    # The applicant is told in-app and by e-mail.
    assert Notification.objects.filter(user=owner, title__startswith="信用修复已完成").exists()
    assert any(m.to == ["owner@example.com"] and "信用修复已完成" in m.subject for m in mail.outbox)


def test_reviewer_of_another_department_cannot_verify(owner, penalty, center, reviewer_b, clerk_a):
    (application,) = apply(owner, [penalty])
    repair_application_accept(application=application, actor=center)
    with pytest.raises(PermissionDenied):
        repair_application_verify(application=application, actor=reviewer_b, agrees=True, opinion="同意")
    with pytest.raises(PermissionDenied):  # a clerk of the right department is not a reviewer either
        repair_application_verify(application=application, actor=clerk_a, agrees=True, opinion="同意")
    with pytest.raises(PermissionDenied):
        repair_application_approve(application=application, reviewer=reviewer_b)
    application.refresh_from_db()
    assert application.state == RepairState.DEPARTMENT_REVIEW


def test_supplement_returns_to_the_asking_step_with_a_fresh_clock(owner, penalty, center, reviewer_a):
    (application,) = apply(owner, [penalty])
    repair_application_accept(application=application, actor=center)
    repair_application_request_supplement(application=application, actor=reviewer_a, request="请补充罚款缴纳银行回单")
    application.refresh_from_db()
    assert application.state == RepairState.SUPPLEMENT and application.due_on is None
    assert Notification.objects.filter(user=owner, title__startswith="请补充").exists()
    with travel(datetime.datetime(2025, 3, 10, 2, 0, tzinfo=datetime.UTC)):
        with pytest.raises(ValidationError):
            repair_application_supplement(application=application, actor=owner, materials=[])
        repair_application_supplement(application=application, actor=owner, materials=[("fulfilment", pdf_file())])
    application.refresh_from_db()
    assert application.state == RepairState.DEPARTMENT_REVIEW
    assert application.due_on == datetime.date(2025, 3, 13)
    assert application.materials.count() == 3


def test_reject_and_withdraw_end_the_repair_flag(owner, penalty, center, reviewer_a):
    (application,) = apply(owner, [penalty])
    repair_application_withdraw(application=application, actor=owner)
    penalty.refresh_from_db()
    assert not penalty.under_repair
    (second,) = apply(owner, [penalty])
    repair_application_accept(application=second, actor=center)
    repair_application_verify(application=second, actor=reviewer_a, agrees=False, opinion="罚款未缴清")
    with pytest.raises(ValidationError):
        repair_application_reject(application=second, reviewer=center, reason=" ")
    repair_application_reject(application=second, reviewer=center, reason="经核实罚款未缴清。")
    penalty.refresh_from_db()
    assert not penalty.under_repair and not penalty.repaired
    assert penalty in public_records(on=TODAY)


def test_actions_out_of_order_are_refused(owner, penalty, center):
    (application,) = apply(owner, [penalty])
    with pytest.raises(ValidationError, match="待受理"):
        repair_application_approve(application=application, reviewer=center)
    with pytest.raises(PermissionDenied):
        repair_application_accept(application=application, actor=owner)


def test_list_entry_repair_after_a_year_removes_its_measures(dept_b, subject_user, center, reviewer_b):
    from apps.lists.models import ListEntry
    from apps.lists.tests.checks_support import company_code, entry, make_recogniser
    from apps.records.services import records_ingest

    make_recogniser(dept_b)
    with travel(datetime.datetime(2024, 9, 27, 2, 0, tzinfo=datetime.UTC)):
        records_ingest(record_type="list_entry", department=dept_b, rows=[(2, entry(dept_b, 1))])
    listed = ListEntry.objects.select_related("record__record_type").get()
    subject_user.subject = listed.subject
    subject_user.save()
    # 12 months on the list (policy) before a repair may be asked for.
    assert repair_eligibility(record=listed.record, on=TODAY, subject=listed.subject) == [
        "最短公示期尚未届满：2025年09月27日 起方可申请修复（还差 208 天）。"
    ]
    with travel(datetime.datetime(2025, 10, 10, 2, 0, tzinfo=datetime.UTC)):
        (application,) = apply(subject_user, [listed.record])
        repair_application_accept(application=application, actor=center)
        repair_application_verify(application=application, actor=reviewer_b, agrees=True, opinion="已纠正")
        before = credit_check_run(query=company_code(1), matter="bidding", channel=CheckChannel.WEB)
        repair_application_approve(application=application, reviewer=center)
        after = credit_check_run(query=company_code(1), matter="bidding", channel=CheckChannel.WEB)
    assert before.result["lists"] and before.result["measures"]
    assert after.result["lists"] == [] and after.result["measures"] == []

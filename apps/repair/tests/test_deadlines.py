import datetime

import pytest
from django.test import Client
from django.urls import reverse

from apps.notifications.models import Notification
from apps.repair.choices import DueFlag
from apps.repair.selectors import case_figures
from apps.repair.services.applications import (
    repair_application_accept,
    repair_application_approve,
    repair_application_submit,
    repair_application_verify,
)
from apps.repair.services.deadlines import cases_flag_due
from apps.repair.services.objections import objection_accept, objection_submit

from .conftest import materials, travel

pytestmark = pytest.mark.django_db


def at(day):
    return travel(datetime.datetime.combine(day, datetime.time(2, 0), tzinfo=datetime.UTC))


def submit(owner, penalty):
    (application,) = repair_application_submit(
        records=[penalty],
        subject=owner.subject,
        applicant=owner,
        contact_name="张伟",
        contact_phone="13800000000",
        statement="已缴清",
        materials=materials(),
    )
    return application


def test_due_soon_then_overdue_then_escalated_once(owner, penalty, center, reviewer_a):
    with at(datetime.date(2025, 3, 3)):
        application = submit(owner, penalty)  # due Wednesday 2025-03-05
        assert cases_flag_due() == {"due_soon": 0, "overdue": 0, "escalated": 0}
    with at(datetime.date(2025, 3, 4)):
        assert cases_flag_due()["due_soon"] == 1
    application.refresh_from_db()
    assert application.due_flag == DueFlag.DUE_SOON
    with at(datetime.date(2025, 3, 6)):
        assert cases_flag_due() == {"due_soon": 0, "overdue": 1, "escalated": 1}
        assert cases_flag_due() == {"due_soon": 0, "overdue": 1, "escalated": 0}  # escalated once only
    application.refresh_from_db()
    assert application.due_flag == DueFlag.OVERDUE and application.escalated_at is not None
    assert application.events.last().action == "escalate"
    note = Notification.objects.get(user=center, title__startswith="超期督办")
    assert application.number in note.body
    # Acting on the case starts the next step: flags clear, the new deadline runs.
    with at(datetime.date(2025, 3, 6)):
        repair_application_accept(application=application, actor=center)
    application.refresh_from_db()
    assert application.due_flag == DueFlag.NONE and application.escalated_at is None
    assert application.due_on == datetime.date(2025, 3, 11)


def test_overdue_department_step_also_tells_the_department(owner, penalty, center, reviewer_a):
    with at(datetime.date(2025, 3, 3)):
        application = submit(owner, penalty)
        repair_application_accept(application=application, actor=center)  # verify by 2025-03-06
    with at(datetime.date(2025, 3, 10)):
        cases_flag_due()
    assert Notification.objects.filter(user=reviewer_a, title__contains="核实案件已超期").exists()


def test_deadlines_count_official_working_days(owner, penalty, center):
    with at(datetime.date(2025, 9, 26)):  # Friday; Sunday 9-28 is a 调休 working day
        application = submit(owner, penalty)
    assert application.due_on == datetime.date(2025, 9, 29)
    with at(datetime.date(2025, 9, 29)):
        repair_application_accept(application=application, actor=center)
    application.refresh_from_db()
    # 3 working days to verify: 9-30, then the National Day break (10-1 … 10-8), then 10-9 and 10-10.
    assert application.due_on == datetime.date(2025, 10, 10) and application.due_calendar == "official"


def test_objection_deadlines_follow_policy(penalty, center):
    with at(datetime.date(2025, 3, 3)):
        objection = objection_submit(
            record=penalty,
            contact_name="李明",
            contact_phone="1",
            contact_email="a@example.com",
            relation="本人",
            grounds="有误",
        )
        assert objection.due_on == datetime.date(2025, 3, 5)
        objection_accept(objection=objection, actor=center)
    objection.refresh_from_db()
    assert objection.due_on == datetime.date(2025, 3, 17)  # 10 working days


def test_figures_throughput_median_and_overdue(owner, penalty, center, reviewer_a, dept_a, client_for):
    from .conftest import ingest_penalty

    with at(datetime.date(2024, 9, 27)):
        second = ingest_penalty(dept_a, 2, CF_XDR_MC=owner.subject.name, CF_XDR_SHXYM=owner.subject.uscc)
    with at(datetime.date(2025, 3, 3)):
        first, late = submit(owner, penalty), submit(owner, second)
        repair_application_accept(application=first, actor=center)
        repair_application_verify(application=first, actor=reviewer_a, agrees=True, opinion="同意")
    with at(datetime.date(2025, 3, 7)):
        repair_application_approve(application=first, reviewer=center)
        cases_flag_due()
        (repair, objections) = case_figures(date_from=datetime.date(2025, 3, 1), date_to=datetime.date(2025, 3, 31))
        assert (repair.received, repair.decided, repair.approved, repair.open, repair.overdue) == (2, 1, 1, 1, 1)
        assert repair.median_days == 4 and repair.approval_rate == 100.0
        assert objections.received == 0 and objections.median_days is None
        html = client_for(center).get(reverse("repair:figures")).content.decode()
        assert late.number in html and "办理用时中位数" in html
    assert Client().get(reverse("repair:figures")).status_code == 302

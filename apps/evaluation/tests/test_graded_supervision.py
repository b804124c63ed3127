"""Graded supervision as the seeds say (issue 17 item 5).

淄博 #5: 诚信守法 not sampled (非请勿扰) except in special fields; 轻微失信 / 一般失信 at most one random joint
inspection a year; 严重失信 more. 平陆 #7: grade 差 → a warning interview (约谈). 文登 #16: the interview
record joins the credit record: the subject's pages and the reports it (or the center) issues, not the public.
"""

import datetime
import io

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from apps.evaluation.choices import InterviewStatus
from apps.evaluation.engine import evaluate_all
from apps.evaluation.models import SupervisionField, SupervisionInterview, SupervisionPolicy
from apps.evaluation.services import inspection_task_create, inspection_task_draw
from apps.evaluation.supervision import supervision_interview_record
from apps.lists.models import ListEntry, ListType, WarningInterview
from apps.lists.tests.factories import list_entry_row
from apps.records.services import records_ingest
from apps.reports.pdf import report_pdf
from apps.reports.services import report_issue

from .factories import make_record, make_subject

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2025, 6, 10, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def population(dept_a):
    """10 × A (rewards), 10 × B (nothing: base score), 10 × C (general penalties), 10 × D (serious penalties)."""
    subjects = [make_subject() for _ in range(40)]
    for s in subjects[:10]:
        for _ in range(3):
            make_record(s, dept_a, "reward", in_publicity=False)
    for s in subjects[20:30]:
        for _ in range(3):
            make_record(s, dept_a, "penalty", "general")
    for s in subjects[30:]:
        make_record(s, dept_a, "penalty", "serious")
        make_record(s, dept_a, "penalty", "serious")
    evaluate_all()
    return subjects


def _task(clerk, dept, field="food", **kw):
    fields = dict(
        name="2025年抽查",
        field=SupervisionField.objects.get(code=field),
        basis="rate",
        rate=1,
        inspectors=["甲", "乙"],
        inspectors_per_subject=2,
    )
    fields.update(kw)
    return inspection_task_create(user=clerk, department=dept, **fields)


def _drawn(task):
    return {row["grade"]: row["drawn"] for row in task.strata}


def test_the_policy_in_force_is_a_row_with_its_source_and_date():
    policy = SupervisionPolicy.in_force(on=NOW.date())
    assert policy.effective_from == datetime.date(2025, 1, 1)
    assert "淄政办字〔2021〕31号" in policy.basis and "平信用办〔2023〕1号" in policy.basis
    assert policy.grade_factors["A"] == 0 and policy.yearly_caps == {"B": 1, "C": 1}
    assert policy.interview_grades == ["D"] and policy.tier("A") == "诚信守法"
    # The 2024 policy stays for the tasks drawn under it.
    assert SupervisionPolicy.in_force(on=datetime.date(2024, 6, 1)).pk == 1


def test_honest_subjects_are_not_sampled_except_in_special_fields(population, clerk_a, dept_a, client_for):
    task = inspection_task_draw(task=_task(clerk_a, dept_a, rate=0.5), user=clerk_a, seed=1)
    assert _drawn(task) == {"A": 0, "B": 5, "C": 5, "D": 10}
    assert {row["grade"]: row["tier"] for row in task.strata}["A"] == "诚信守法"
    page = client_for(clerk_a).get(reverse("evaluation:task_detail", args=[task.pk])).content.decode()
    assert "诚信守法" in page and "非请勿扰" in page and "淄政办字〔2021〕31号" in page
    honest = {s.pk for s in population[:10]}
    assert not task.samples.filter(subject_id__in=honest).exists()
    special = inspection_task_draw(task=_task(clerk_a, dept_a, field="vaccine", rate=0.5), user=clerk_a, seed=1)
    assert _drawn(special)["A"] == 5  # 疫苗: no 非请勿扰


def test_minor_and_general_dishonesty_get_one_random_inspection_a_year(population, clerk_a, clerk_b, dept_a, dept_b):
    first = inspection_task_draw(task=_task(clerk_a, dept_a), user=clerk_a, seed=1)
    assert _drawn(first) == {"A": 0, "B": 10, "C": 10, "D": 10}
    # Another department, later the same year: B and C were all inspected once already; D is not capped.
    with time_machine.travel(datetime.datetime(2025, 11, 3, 2, 0, tzinfo=datetime.UTC), tick=False):
        second = inspection_task_draw(task=_task(clerk_b, dept_b, field="market"), user=clerk_b, seed=2)
        assert _drawn(second) == {"A": 0, "B": 0, "C": 0, "D": 10}
        assert {row["grade"]: row["capped"] for row in second.strata} == {"A": 0, "B": 10, "C": 10, "D": 0}
        special = inspection_task_draw(task=_task(clerk_b, dept_b, field="drug"), user=clerk_b, seed=3)
        assert _drawn(special)["B"] == 10  # special fields are not capped
    with time_machine.travel(datetime.datetime(2026, 1, 5, 2, 0, tzinfo=datetime.UTC), tick=False):
        next_year = inspection_task_draw(task=_task(clerk_a, dept_a, field="quality"), user=clerk_a, seed=4)
        assert _drawn(next_year)["B"] == 10


def test_a_population_that_may_not_be_sampled_gets_a_chinese_reason(population, clerk_a, dept_a):
    task = _task(clerk_a, dept_a, basis="size", rate=None, size=3, population_filter={"grades": ["A"]})
    with pytest.raises(ValidationError, match="非请勿扰"):
        inspection_task_draw(task=task, user=clerk_a)
    assert not task.samples.exists()
    task = _task(clerk_a, dept_a, basis="size", rate=None, size=25, population_filter={"grades": ["A", "B", "C"]})
    with pytest.raises(ValidationError, match="大于可抽取的主体数（20"):
        inspection_task_draw(task=task, user=clerk_a)


def test_grade_d_opens_one_warning_interview_for_the_recognising_department(population, dept_a):
    d_subjects = {s.pk for s in population[30:]}
    interviews = SupervisionInterview.objects.all()
    assert {i.subject_id for i in interviews} == d_subjects
    assert {(i.grade, i.tier, i.department_id, i.status) for i in interviews} == {
        ("D", "严重失信", dept_a.pk, InterviewStatus.PENDING)
    }
    evaluate_all()  # the next night: nothing doubled
    assert SupervisionInterview.objects.count() == 10


def test_department_records_the_interview_audited_and_it_is_not_reopened(population, clerk_a, clerk_b, client_for):
    interview = SupervisionInterview.objects.first()
    url = reverse("evaluation:interview_record", args=[interview.pk])
    assert client_for(clerk_b).get(url).status_code == 404
    assert interview.subject.name not in client_for(clerk_b).get(reverse("evaluation:interviews")).content.decode()
    bad = client_for(clerk_a).post(url, {"held_on": "2025-07-01", "participants": "", "content": ""})
    assert bad.status_code == 400 and "约谈日期不能晚于今天" in bad.content.decode()
    response = client_for(clerk_a).post(
        url, {"held_on": "2025-06-10", "participants": "法定代表人王某", "content": "限期一个月整改，电话13800138000"}
    )
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.HELD and interview.recorded_by == clerk_a
    assert LogEntry.objects.get_for_object(interview).filter(actor=clerk_a).exists()
    with pytest.raises(ValidationError, match="不能重复录入"):
        supervision_interview_record(
            interview=interview, user=clerk_a, held_on=NOW.date(), participants="x", content="x"
        )
    make_record(interview.subject, interview.department, "penalty", "serious")  # a new score, the same grade
    evaluate_all()  # still D, already interviewed since it entered D: not reopened
    assert SupervisionInterview.objects.filter(subject=interview.subject).count() == 1
    # Leaving D and falling back to it later is a new case: a new interview.
    with time_machine.travel(datetime.datetime(2025, 9, 1, 2, 0, tzinfo=datetime.UTC), tick=False):
        interview.subject.records.update(repaired=True)
        evaluate_all()
        assert not SupervisionInterview.objects.filter(subject=interview.subject, status="pending").exists()
        interview.subject.records.update(repaired=False)
        evaluate_all()
    assert SupervisionInterview.objects.filter(subject=interview.subject, status="pending").count() == 1


def test_interviews_show_to_staff_and_the_subject_not_the_public(population, clerk_a, subject_user, client_for, dept_a):
    interview = SupervisionInterview.objects.first()
    supervision_interview_record(
        interview=interview,
        user=clerk_a,
        held_on=NOW.date(),
        participants="法定代表人王某",
        content="责令限期整改，联系电话13800138000",
    )
    subject = interview.subject
    subject_user.subject = subject
    subject_user.save()
    staff = client_for(clerk_a).get(reverse("evaluation:grade_detail", args=[subject.pk])).content.decode()
    own = client_for(subject_user).get(reverse("evaluation:my_grade")).content.decode()
    for page in (staff, own):
        assert "警示约谈（信用等级）" in page and "责令限期整改" in page and "13800138000" not in page
    public = Client().get(reverse("portal:profile", args=[subject.pk])).content.decode()
    assert "约谈" not in public and "责令限期整改" not in public


def test_own_and_center_reports_carry_interviews_public_reports_do_not(population, clerk_a, subject_user, center):
    interview = SupervisionInterview.objects.first()
    supervision_interview_record(
        interview=interview, user=clerk_a, held_on=NOW.date(), participants="王某", content="责令限期整改"
    )
    subject = interview.subject
    subject_user.subject = subject
    subject_user.save()
    own = report_issue(subject=subject, purpose="self_check", requester=subject_user)
    rows = own.snapshot["interviews"]
    assert [(r["kind"], r["status"], r["content"]) for r in rows] == [
        ("警示约谈（信用等级）", "已约谈", "责令限期整改")
    ]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(report_pdf(own))).pages)
    assert "八、约谈记录" in text and "责令限期整改" in text
    assert "interviews" in report_issue(subject=subject, purpose="bidding", requester=center).snapshot
    public = report_issue(subject=subject, purpose="bidding", requester=None)
    assert "interviews" not in public.snapshot
    assert "约谈" not in "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(report_pdf(public))).pages)


def test_list_entry_interviews_show_with_grade_interviews(population, clerk_a, dept_a, powers, client_for):
    dept_a.powers.add(powers["list"])
    ListType.objects.get(code="major_tax_violation").recognisers.add(dept_a)
    records_ingest(
        record_type="list_entry",
        department=dept_a,
        rows=[(2, list_entry_row(dept_a, 1))],
        today=NOW.date(),
        actor=clerk_a,
        submit=True,
    )
    entry = ListEntry.objects.get()
    WarningInterview.objects.create(
        entry=entry,
        held_on=NOW.date(),
        department=dept_a,
        participants="负责人",
        content="督促履行纳税义务",
        created_by=clerk_a,
    )
    page = client_for(clerk_a).get(reverse("evaluation:grade_detail", args=[entry.subject_id])).content.decode()
    assert "约谈（名单）" in page and "督促履行纳税义务" in page and "重大税收违法失信主体" in page

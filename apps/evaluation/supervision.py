"""Graded supervision as the seeds say: who may be sampled, how often, and the 警示约谈 a grade triggers.

淄博 #5 (002): 诚信守法 subjects are left alone (非请勿扰) except in special fields; 轻微失信 and 一般失信 subjects
get one random joint inspection a year; 严重失信 subjects are inspected more. 平陆 #7 (003): grade 差 →
a warning interview with the principal by the department in charge. 文登 #16 (004): the interview record
joins the subject's credit record. Every number and grade here comes from the ``SupervisionPolicy`` in
force (policy rows with their source), none is written in this module.

Used by both the nightly run (``engine``) and the sampling service, so it sits below both.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.lists.choices import ListColor
from apps.lists.models import ListEntry
from apps.records.choices import Severity, Status
from apps.records.models import Record

from .choices import InterviewStatus
from .models import GradeChange, InspectionSample, SubjectGrade, SupervisionInterview, SupervisionPolicy


def year_bounds(on: datetime.date) -> tuple[datetime.date, datetime.date]:
    return datetime.date(on.year, 1, 1), datetime.date(on.year + 1, 1, 1)


def sampled_this_year(*, grades, on: datetime.date) -> dict[int, int]:
    """How many random inspections each subject now graded in ``grades`` has been drawn for in ``on``'s
    calendar year, by any department (the cap is on the subject's joint inspections, not per task).

    Read from this year's samples (a few thousand rows), not from a list of the population's ids.
    """
    first, following = year_bounds(on)
    rows = (
        InspectionSample.objects.filter(
            subject__grade__grade__in=list(grades),
            task__drawn_at__date__gte=first,
            task__drawn_at__date__lt=following,
        )
        .values("subject_id")
        .annotate(n=Count("pk"))
    )
    return {row["subject_id"]: row["n"] for row in rows}


def _department_in_charge():
    """The department of the subject's newest dishonesty: its latest black/watch list entry or 失信 record.

    谁认定、谁约谈 (文登 #16): the department that recognised the dishonesty holds the interview. A subject
    graded 差 only through a provincial result may have none here; the credit center then handles it.
    """
    entry = (
        ListEntry.objects.filter(
            subject_id=OuterRef("subject_id"), list_type__color__in=[ListColor.BLACK, ListColor.WATCH]
        )
        .order_by("-recognised_on", "-pk")
        .values("department_id")[:1]
    )
    record = (
        Record.objects.filter(
            subject_id=OuterRef("subject_id"), status=Status.PUBLISHED, repaired=False, severity__in=Severity.values
        )
        .order_by("-decision_date", "-pk")
        .values("department_id")[:1]
    )
    return entry, record


def supervision_interviews_open(*, on: datetime.date, run=None) -> int:
    """Open a pending 警示约谈 for every subject whose grade the policy names and who has none for this grade.

    A subject already interviewed since its grade last changed is not asked again each night; falling to
    the grade again later opens a new one. Returns how many were opened.
    """
    try:
        policy = SupervisionPolicy.in_force(on=on)
    except ValidationError:
        return 0
    grades = [g for g in policy.interview_grades or [] if g]
    if not grades:
        return 0
    # When the subject last entered its grade: its newest grade change (every change, the first grade
    # included, writes one). ``SubjectGrade.changed_at`` moves with any new score, which is no new grade.
    entered = (
        GradeChange.objects.filter(subject_id=OuterRef("subject_id"))
        .order_by("-changed_at", "-pk")
        .values("changed_at")
    )[:1]
    already = SupervisionInterview.objects.filter(subject_id=OuterRef("subject_id")).filter(
        Q(status=InterviewStatus.PENDING) | Q(created_at__gte=OuterRef("entered"))
    )
    entry_dept, record_dept = _department_in_charge()
    rows = (
        SubjectGrade.objects.filter(grade__in=grades)
        .annotate(entered=Subquery(entered))
        .exclude(Exists(already))
        .annotate(entry_dept=Subquery(entry_dept), record_dept=Subquery(record_dept))
        .values_list("subject_id", "grade", "entry_dept", "record_dept")
    )
    opened = [
        SupervisionInterview(
            subject_id=subject_id,
            grade=grade,
            tier=policy.tier(grade),
            policy=policy,
            run=run,
            triggered_on=on,
            department_id=entry_dept or record_dept,
        )
        for subject_id, grade, entry_dept, record_dept in rows.iterator(chunk_size=2000)
    ]
    # ignore_conflicts: a pending one opened meanwhile (the partial unique constraint) is kept, not doubled.
    SupervisionInterview.objects.bulk_create(opened, batch_size=2000, ignore_conflicts=True)
    return len(opened)


def supervision_interview_record(*, interview: SupervisionInterview, user, held_on, participants, content):
    """The department in charge (or the credit center) records the interview it held; audit-logged by auditlog."""
    if interview.status != InterviewStatus.PENDING:
        raise ValidationError("该约谈已录入，不能重复录入。")
    if not may_handle_interview(user, interview):
        raise ValidationError("只有约谈部门或信用中心可以录入约谈记录。")
    if held_on < interview.triggered_on:
        raise ValidationError("约谈日期不能早于触发日期。")
    interview.status = InterviewStatus.HELD
    interview.held_on, interview.participants, interview.content = held_on, participants, content
    interview.recorded_by, interview.recorded_at = user, timezone.now()
    if interview.department_id is None and user.department_id is not None:
        interview.department_id = user.department_id
    interview.save()
    return interview


def may_handle_interview(user, interview: SupervisionInterview) -> bool:
    if has_role(user, CENTER_ROLES):
        return True
    return user.department_id is not None and user.department_id == interview.department_id

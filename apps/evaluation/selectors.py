"""Reads: a subject's grade with the indicators behind it, its grade history and its 约谈 records."""

import datetime
from dataclasses import dataclass

from apps.accounts.choices import Role
from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.lists.models import WarningInterview
from apps.subjects.masking import mask_personal_numbers
from credit_portal.policy_cache import policy_cache
from credit_portal.prepared import PreparedQuery

from .models import GradeChange, ScoringModel, SubjectGrade, SupervisionInterview
from .scoring import contribution

# {model id: {grade code: label}}, kept per process (credit_portal/policy_cache.py): every public
# profile shows its subject's grade label; scoring models change by a new version, rarely.
grade_labels = policy_cache.register(
    "evaluation.grade_labels",
    lambda: {
        pk: {g["code"]: g.get("label") or g["code"] for g in grades or []}
        for pk, grades in ScoringModel.objects.values_list("pk", "grades")
    },
    models=("evaluation.ScoringModel",),
)
# The profile page reads one subject's grade for every visitor: compiled once (credit_portal/prepared.py).
_SUBJECT_GRADE = PreparedQuery(
    lambda *, pk, key: SubjectGrade.objects.filter(subject_id=pk).values_list("grade", "model_id"), pk=int
)


def grade_and_label(subject_id: int) -> tuple[str, str] | None:
    """The subject's current grade and its label in the model it was computed with, or None."""
    rows = _SUBJECT_GRADE.rows(pk=subject_id)
    if not rows:
        return None
    grade, model_id = rows[0]
    return grade, grade_labels().get(model_id, {}).get(grade, grade)


def grade_explain(*, subject) -> dict | None:
    """The grade, its score and every contributing indicator, as staff and the subject itself see it."""
    grade = SubjectGrade.objects.select_related("model", "run").filter(subject=subject).first()
    if grade is None:
        return None
    model: ScoringModel = grade.model
    parts = []
    for ind in model.indicators:
        count = int(grade.details.get(ind["code"], 0) or 0)
        if count:
            parts.append(
                {
                    "code": ind["code"],
                    "name": ind["name"],
                    "count": count,
                    "points_each": ind["points"],
                    "cap": ind.get("cap"),
                    "points": contribution(count, ind["points"], ind.get("cap")),
                }
            )
    return {
        "grade": grade.grade,
        "label": model.grade_label(grade.grade),
        "score": grade.score,
        "base_score": model.base_score,
        "computed_grade": grade.computed_grade,
        "computed_label": model.grade_label(grade.computed_grade),
        "source": grade.source,
        "source_display": grade.get_source_display(),
        "model": model,
        "indicators": parts,
        "changed_at": grade.changed_at,
        "evaluated_on": grade.run.on if grade.run else None,
    }


def grade_history(*, subject):
    return GradeChange.objects.filter(subject=subject).select_related("model").order_by("-changed_at", "-pk")


def grade_summaries(subject_ids) -> dict[int, dict]:
    """The compact form the credit check (apps.lists.checks) puts in its answer; one query for any number."""
    return {
        grade.subject_id: {
            "grade": grade.grade,
            "label": grade.model.grade_label(grade.grade),
            "score": grade.score,
            "source": grade.source,
            "model_version": grade.model.version,
        }
        for grade in SubjectGrade.objects.select_related("model").filter(subject_id__in=list(subject_ids))
    }


# --- 约谈 records of a subject (文登 #16: 约谈记录记入失信市场主体信用记录) ----------------------------------


@dataclass(frozen=True)
class InterviewRow:
    """One 约谈 as the subject's pages and its credit report show it, free text masked."""

    kind: str  # 警示约谈（信用等级） / 约谈（名单）
    reason: str  # the grade and class, or the list it is about
    department: str
    status: str
    held_on: datetime.date | None
    triggered_on: datetime.date | None
    participants: str
    content: str
    pk: int | None = None  # a grade interview's id (the form to record it), None for a list-entry one

    @property
    def date(self) -> datetime.date | None:
        return self.held_on or self.triggered_on


def subject_interviews(*, subject, viewer=None) -> list[InterviewRow]:
    """The subject's 约谈: those its grade triggered and those about its list entries, newest first.

    ``viewer`` None or the subject's own account or the credit center: all of them. A department's staff
    see the ones their department holds (departments see only their own data).
    """
    grade_qs = SupervisionInterview.objects.filter(subject=subject).select_related("department")
    entry_qs = WarningInterview.objects.filter(entry__subject=subject).select_related("department", "entry__list_type")
    if viewer is not None and not has_role(viewer, CENTER_ROLES) and viewer.role != Role.SUBJECT:
        grade_qs = grade_qs.filter(department_id=viewer.department_id)
        entry_qs = entry_qs.filter(department_id=viewer.department_id)
    rows = [
        InterviewRow(
            kind="警示约谈（信用等级）",
            reason=f"信用等级 {i.grade}（{i.tier or i.grade}）",
            department=i.department.name if i.department else "信用中心",
            status=i.get_status_display(),
            held_on=i.held_on,
            triggered_on=i.triggered_on,
            participants=mask_personal_numbers(i.participants),
            content=mask_personal_numbers(i.content),
            pk=i.pk,
        )
        for i in grade_qs
    ]
    rows += [
        InterviewRow(
            kind="约谈（名单）",
            reason=f"列入{w.entry.list_type.name}",
            department=w.department.name,
            status="已约谈",
            held_on=w.held_on,
            triggered_on=None,
            participants=mask_personal_numbers(w.participants),
            content=mask_personal_numbers(w.content),
        )
        for w in entry_qs
    ]
    return sorted(rows, key=lambda r: r.date or datetime.date.min, reverse=True)


def staff_interviews(*, user):
    """The grade interviews a staff member handles: all for the credit center, the department's own otherwise."""
    qs = SupervisionInterview.objects.select_related("subject", "department").order_by("status", "-triggered_on", "-pk")
    return qs if has_role(user, CENTER_ROLES) else qs.filter(department_id=user.department_id)

"""Reads: a subject's grade with the indicators behind it, and its grade history."""

from credit_portal.policy_cache import policy_cache
from credit_portal.prepared import PreparedQuery

from .models import GradeChange, ScoringModel, SubjectGrade
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


def grade_summary(subject_id) -> dict | None:
    return grade_summaries([subject_id]).get(subject_id)


def grades_for(subject_ids) -> dict:
    return dict(SubjectGrade.objects.filter(subject_id__in=list(subject_ids)).values_list("subject_id", "grade"))

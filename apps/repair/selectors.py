"""Reads of repair applications and objections: who sees which case, and the credit center's figures.

Department staff see only cases about their own department's records; a
subject's account sees its own; the credit center sees all. Another
department's case is ``DoesNotExist`` exactly as a missing one.
"""

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.records.choices import Status
from apps.records.models import Record
from apps.workdays.services import workdays_between

from .choices import (
    OBJECTION_OPEN_STATES,
    REPAIR_OPEN_STATES,
    REPAIR_STAFF_STATES,
    DueFlag,
    ObjectionState,
    RepairState,
)
from .models import Material, NoticeBatch, Objection, RepairApplication


def _scoped(qs: QuerySet, user, *, own: Q) -> QuerySet:
    if has_role(user, CENTER_ROLES):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.role in (Role.CLERK, Role.REVIEWER):
        return qs.filter(department_id=user.department_id) if user.department_id else qs.none()
    if user.role == Role.SUBJECT:
        return qs.filter(own)
    return qs.none()


def repair_applications_visible(*, user) -> QuerySet:
    own = Q(applicant_id=user.pk)
    if getattr(user, "subject_id", None):
        own |= Q(subject_id=user.subject_id)
    qs = RepairApplication.objects.select_related("record__record_type", "department", "subject", "applicant")
    return _scoped(qs, user, own=own)


def objections_visible(*, user) -> QuerySet:
    qs = Objection.objects.select_related("record__record_type", "department", "filer")
    return _scoped(qs, user, own=Q(filer_id=user.pk))


def material_visible(*, user, pk: int) -> Material:
    """A material only for those who may see its case."""
    material = Material.objects.get(pk=pk)
    if material.application_id:
        repair_applications_visible(user=user).get(pk=material.application_id)
    else:
        objections_visible(user=user).get(pk=material.objection_id)
    return material


def subject_records(*, subject) -> QuerySet:
    """The records about a subject that its account may act on: reported ones, newest first."""
    if subject is None:
        return Record.objects.none()
    return (
        Record.objects.filter(subject=subject, status=Status.PUBLISHED)
        .select_related("record_type", "department", "list_entry__list_type")
        .defer("private_data")
        .order_by("-decision_date", "-pk")
    )


def notice_records(*, user) -> QuerySet:
    """Penalties a clerk may download 信用修复告知书 for: the department's own (all for the center).

    Every stored penalty but a revoked one — drafts and those awaiting review too — because the notice is
    served with the decision (两书同达), usually before the clerk submits the record to the platform.
    A penalty the rules do not publicise has no publicity to announce, so no notice.
    """
    qs = (
        Record.objects.filter(record_type__code="penalty", is_publicised=True)
        .exclude(status=Status.REVOKED)
        .select_related("record_type", "department", "notice_service")
    )
    if has_role(user, CENTER_ROLES):
        return qs.defer("private_data")
    if getattr(user, "department_id", None):
        return qs.filter(department_id=user.department_id).defer("private_data")
    return qs.none()


def upload_notice_records(*, user, upload) -> QuerySet:
    """The penalties one upload created that have a 告知书, in decision order.

    Read from ``Record.upload`` (the upload a record came from): accepted rows keep no per-row
    submission any more (records.SubmissionBatch). A row that corrected or repeated a record
    created earlier belongs to that earlier intake.
    """
    return notice_records(user=user).filter(upload=upload).order_by("decision_date", "pk")


@dataclass
class NoticeCoverage:
    """两书同达 coverage of a department's penalties decided in a period, with its inputs."""

    penalties: int  # penalties decided in the period (stored, publicised, not revoked)
    served: int  # of which a notice was recorded as served
    served_with_decision: int  # of which it was served on the decision date (两书同达)

    @property
    def rate(self):
        return None if not self.penalties else round(100 * self.served_with_decision / self.penalties, 1)


def notice_coverage(*, department, date_from: datetime.date, date_to: datetime.date) -> NoticeCoverage:
    from django.db.models import Count

    qs = Record.objects.filter(
        record_type__code="penalty",
        is_publicised=True,
        department=department,
        decision_date__gte=date_from,
        decision_date__lte=date_to,
    ).exclude(status=Status.REVOKED)
    counts = qs.aggregate(
        penalties=Count("pk"),
        served=Count("notice_service"),
        together=Count("notice_service", filter=Q(notice_service__served_with_decision=True)),
    )
    return NoticeCoverage(
        penalties=counts["penalties"], served=counts["served"], served_with_decision=counts["together"]
    )


def notice_batches_visible(*, user) -> QuerySet:
    """Bulk 告知书 downloads: the department's own (all for the center)."""
    qs = NoticeBatch.objects.select_related("requested_by", "department")
    if has_role(user, CENTER_ROLES):
        return qs
    if getattr(user, "department_id", None):
        return qs.filter(department_id=user.department_id)
    return qs.none()


# --- figures ---------------------------------------------------------------------------


@dataclass
class CaseFigures:
    label: str
    received: int
    decided: int
    approved: int
    open: int
    overdue: int
    due_soon: int
    median_days: float | None  # working days from filing to the final answer

    @property
    def approval_rate(self):
        return None if not self.decided else round(100 * self.approved / self.decided, 1)


def _median_working_days(rows) -> float | None:
    spans = [
        workdays_between(start=timezone.localtime(created).date(), end=timezone.localtime(decided).date())
        for created, decided in rows
    ]
    return round(statistics.median(spans), 1) if spans else None


def case_figures(*, date_from: datetime.date, date_to: datetime.date, today: datetime.date | None = None):
    """Throughput (received, decided in the period), median handling time and overdue cases, for repair and objections."""
    today = today or timezone.localdate()
    result = []
    for label, model, final, approved_q, open_states, staff_states in (
        (
            "信用修复",
            RepairApplication,
            (RepairState.APPROVED, RepairState.REJECTED, RepairState.REFUSED),
            Q(state=RepairState.APPROVED),
            REPAIR_OPEN_STATES,
            REPAIR_STAFF_STATES,
        ),
        (
            "异议处理",
            Objection,
            (ObjectionState.CLOSED, ObjectionState.REFUSED),
            Q(outcome__in=("corrected", "revoked")),
            OBJECTION_OPEN_STATES,
            OBJECTION_OPEN_STATES,
        ),
    ):
        received = model.objects.filter(created_at__date__gte=date_from, created_at__date__lte=date_to).count()
        decided_qs = model.objects.filter(
            state__in=final, decided_at__date__gte=date_from, decided_at__date__lte=date_to
        )
        open_qs = model.objects.filter(state__in=staff_states)
        result.append(
            CaseFigures(
                label=label,
                received=received,
                decided=decided_qs.count(),
                approved=decided_qs.filter(approved_q).count(),
                open=model.objects.filter(state__in=open_states).count(),
                overdue=open_qs.filter(due_on__lt=today).count(),
                due_soon=open_qs.filter(due_flag=DueFlag.DUE_SOON, due_on__gte=today).count(),
                median_days=_median_working_days(decided_qs.values_list("created_at", "decided_at")),
            )
        )
    return result


def approved_repairs(*, subject_id: int) -> QuerySet:
    """Approved repairs of the subject's records, oldest first: the repair history a credit report shows."""
    return (
        RepairApplication.objects.filter(record__subject_id=subject_id, state=RepairState.APPROVED)
        .select_related("record__record_type", "department")
        .only("number", "decided_at", "record__record_type__name", "department__name")
        .order_by("decided_at", "pk")
    )

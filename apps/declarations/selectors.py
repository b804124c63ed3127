"""Reads of declarations: the public rows of a subject (masked, marked), the subject's own, the department's."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.subjects.masking import mask_personal_numbers

from .choices import PUBLIC_STATUSES, DeclarationStatus
from .models import Declaration

PROFILE_LIMIT = 50


@dataclass(frozen=True)
class PublicDeclaration:
    """A declaration as the public sees it: free text with ID and mobile numbers masked, and its mark."""

    kind: str
    title: str
    content: str
    issuer: str
    occurred_on: datetime.date
    valid_until: datetime.date | None
    mark: str  # 自主申报（未核实） / 自主申报（已核实）
    verified: bool
    department: str
    reviewed_on: datetime.date | None


def public_declarations(*, subject_id: int, limit: int = PROFILE_LIMIT) -> list[PublicDeclaration]:
    """A subject's declarations on its public profile: pending (marked 未核实) and verified, newest first.

    One query; the department's name only (who will verify, or did).
    """
    rows = (
        Declaration.objects.filter(subject_id=subject_id, status__in=PUBLIC_STATUSES)
        .select_related("department")
        .only(
            "kind",
            "title",
            "content",
            "issuer",
            "occurred_on",
            "valid_until",
            "status",
            "reviewed_at",
            "department__name",
        )
        .order_by("-occurred_on", "-pk")[:limit]
    )
    return [
        PublicDeclaration(
            kind=d.get_kind_display(),
            title=mask_personal_numbers(d.title),
            content=mask_personal_numbers(d.content),
            issuer=mask_personal_numbers(d.issuer),
            occurred_on=d.occurred_on,
            valid_until=d.valid_until,
            mark=d.get_status_display(),
            verified=d.status == DeclarationStatus.VERIFIED,
            department=d.department.name,
            reviewed_on=d.reviewed_at.date() if d.reviewed_at else None,
        )
        for d in rows
    ]


def own_declarations(*, subject) -> QuerySet:
    return Declaration.objects.filter(subject=subject).select_related("department")


def staff_declarations(*, user) -> QuerySet:
    """The declarations a staff member may review: the department's own; all of them for the credit center."""
    qs = Declaration.objects.select_related("subject", "department")
    return qs if has_role(user, CENTER_ROLES) else qs.filter(department_id=user.department_id)

"""Who may take which step of a repair application or an objection: the predicates the services enforce
and the detail pages use to show their buttons."""

from django.core.exceptions import PermissionDenied

from apps.accounts.choices import Role
from apps.accounts.permissions import CENTER_ROLES, has_role

from .choices import ObjectionState, RepairState


def is_center(user) -> bool:
    return has_role(user, CENTER_ROLES)


def require_center(user) -> None:
    if not is_center(user):
        raise PermissionDenied("仅信用中心工作人员可以执行此操作。")


def _reviewer_of(user, department_id) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.role == Role.REVIEWER
        and user.department_id is not None
        and user.department_id == department_id
    )


def can_verify(user, application) -> bool:
    """Department verification: a reviewer of the department that provided the record."""
    return _reviewer_of(user, application.department_id)


def can_verify_objection(user, objection) -> bool:
    return _reviewer_of(user, objection.department_id)


def is_applicant(user, application) -> bool:
    if not getattr(user, "is_authenticated", False) or user.role != Role.SUBJECT:
        return False
    return application.applicant_id == user.pk or (
        user.subject_id is not None and user.subject_id == application.subject_id
    )


def is_filer(user, objection) -> bool:
    return getattr(user, "is_authenticated", False) and objection.filer_id == user.pk


def require_applicant_or_center(user, application) -> None:
    if not (is_applicant(user, application) or is_center(user)):
        raise PermissionDenied("只有申请人（或代为录入的信用中心工作人员）可以执行此操作。")


def may_request_supplement(user, application) -> bool:
    """The center while it accepts or decides; the verifying department while it verifies."""
    if application.state in (RepairState.SUBMITTED, RepairState.CENTER_REVIEW):
        return is_center(user)
    return application.state == RepairState.DEPARTMENT_REVIEW and can_verify(user, application)


def repair_buttons(user, application) -> dict[str, bool]:
    """Which workflow buttons the detail page shows ``user``."""
    center, state = is_center(user), application.state
    mine = is_applicant(user, application) or center
    return {
        "can_accept": center and state == RepairState.SUBMITTED,
        "can_verify": can_verify(user, application) and state == RepairState.DEPARTMENT_REVIEW,
        "can_decide": center and state == RepairState.CENTER_REVIEW,
        "can_request": may_request_supplement(user, application),
        "can_supplement": state == RepairState.SUPPLEMENT and mine,
        "can_withdraw": application.is_open and mine,
    }


def objection_buttons(user, objection) -> dict[str, bool]:
    center = is_center(user)
    return {
        "can_accept": center and objection.state == ObjectionState.SUBMITTED,
        "can_verify": objection.state == ObjectionState.VERIFYING and can_verify_objection(user, objection),
        "can_withdraw": objection.state in (ObjectionState.SUBMITTED, ObjectionState.VERIFYING)
        and (is_filer(user, objection) or center),
    }

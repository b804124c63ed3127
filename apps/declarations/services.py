"""Declaration workflow: the subject declares with its pledge; the named department verifies or rejects."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.permissions import CENTER_ROLES, has_role

from .choices import DeclarationStatus
from .models import Declaration

# The truthfulness pledge (文登 #9: 对信息真实性公开作出信用承诺; 平陆 #3: 对自主申报信息的真实性、准确性负责).
# Each declaration stores the words it was given under, so changing them here never rewrites a past pledge.
PLEDGE_TEXT = (
    "本主体承诺：所申报的信息真实、准确、完整，相关证明材料合法有效；同意平台对申报信息进行整合、共享与应用，"
    "并在核实前以“自主申报（未核实）”标注向社会公示。如有虚假，愿承担相应法律责任，并同意将虚假申报情况记入本主体信用记录。"
)


def declaration_submit(
    *, subject, user, kind, title, content, occurred_on, department, pledge_accepted, issuer="", valid_until=None
) -> Declaration:
    """A subject's own account declares; nothing is stored without the pledge."""
    problems = []
    if user.role != Role.SUBJECT or user.subject_id is None or user.subject_id != subject.pk:
        problems.append("只有已认领该主体的主体账号可以申报信息。")
    if not pledge_accepted:
        problems.append("请阅读并勾选信用承诺：申报信息须对真实性作出承诺。")
    if valid_until is not None and valid_until < occurred_on:
        problems.append("有效期至不能早于取得或发生日期。")
    if occurred_on > timezone.localdate():
        problems.append("取得或发生日期不能晚于今天。")
    if problems:
        raise ValidationError(problems)
    return Declaration.objects.create(
        subject=subject,
        kind=kind,
        title=title.strip(),
        content=content.strip(),
        issuer=(issuer or "").strip(),
        occurred_on=occurred_on,
        valid_until=valid_until,
        department=department,
        pledge=PLEDGE_TEXT,
        pledged_at=timezone.now(),
        submitted_by=user,
    )


def may_review(user, declaration: Declaration) -> bool:
    """The department the subject named, or the credit center."""
    if has_role(user, CENTER_ROLES):
        return True
    return user.role in (Role.CLERK, Role.REVIEWER) and user.department_id == declaration.department_id


def _review(*, declaration: Declaration, user, status: str, note: str) -> Declaration:
    with transaction.atomic():
        locked = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if not may_review(user, locked):
            raise ValidationError("只有申报时选定的核实部门或信用中心可以核实该信息。")
        if locked.status != DeclarationStatus.PENDING:
            raise ValidationError(f"该信息已{locked.get_status_display()}，不能重复处理。")
        locked.status, locked.review_note = status, note
        locked.reviewed_by, locked.reviewed_at = user, timezone.now()
        locked.save()
    return locked


def declaration_verify(*, declaration: Declaration, user, note: str = "") -> Declaration:
    return _review(declaration=declaration, user=user, status=DeclarationStatus.VERIFIED, note=(note or "").strip())


def declaration_reject(*, declaration: Declaration, user, reason: str) -> Declaration:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写核实不通过的原因，申报主体将看到该原因。")
    return _review(declaration=declaration, user=user, status=DeclarationStatus.REJECTED, note=reason)

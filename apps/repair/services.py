"""Credit repair workflow (DOMAIN.md §6): keyword-only ``repair_application_<verb>`` actions.

submitted → accepted (department review) or refused → department verification
→ credit-center decision → approved or rejected; the applicant may withdraw,
and supply materials when asked (the case then returns to the step that asked).
Every action validates, writes the state and one history row in a transaction,
and notifies by ``transaction.on_commit``-queued e-mail. Each staff step has a
working-day deadline from policy.

Approval sets ``Record.repaired``: the record leaves every public view and
stops counting for credit checks at once, because those read
``Record.objects.in_publicity`` / ``ListEntry.objects.active``, which exclude
repaired records. It stays in the back office with its history.
"""

import datetime
import hashlib
import hmac
import logging
import secrets
import tempfile
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.audit.services import personal_data_access_record
from apps.catalog.choices import PolicyKey
from apps.catalog.choices import Role as CatalogRole
from apps.catalog.spec import TypeSpec
from apps.commitments.services import repair_commitment_publish
from apps.notifications.services import center_staff, department_reviewers, notification_send
from apps.records.choices import Action, Status
from apps.records.models import Record, RecordEvent
from apps.subjects.codes import check_id_number, check_uscc, mask_id_number, normalise_code
from apps.subjects.models import Subject
from apps.subjects.pii import decrypt, id_number_hash

from .choices import (
    OBJECTION_OPEN_STATES,
    REPAIR_OPEN_STATES,
    REPAIR_STAFF_STATES,
    BatchState,
    DueFlag,
    MaterialKind,
    ObjectionAction,
    ObjectionOutcome,
    ObjectionState,
    RepairAction,
    RepairState,
)
from .materials import material_check, material_store, materials_atomic
from .models import NoticeBatch, Objection, ObjectionEvent, RepairApplication, RepairEvent
from .policy import PolicyMissing, repair_allowed, repair_earliest, required_materials, step_due

LIST_ENTRY_TYPE = "list_entry"


# --- eligibility -----------------------------------------------------------------------


def repair_eligibility(*, record: Record, on: datetime.date, subject=None) -> list[str]:
    """Why ``record`` cannot be repaired now (empty when it can), each reason in full."""
    reasons = []
    if subject is not None and record.subject_id != subject.pk:
        reasons.append("该信息不属于您的信用主体，只能为本主体的信息申请修复。")
    if record.repaired:
        return reasons + ["该信息已完成信用修复，无需再次申请。"]
    if record.status != Status.PUBLISHED:
        reasons.append(f"该信息当前状态为“{record.get_status_display()}”，不在公示中，无需修复。")
    elif record.record_type.code == LIST_ENTRY_TYPE:
        entry = getattr(record, "list_entry", None)
        if entry is None or entry.state != "listed":
            reasons.append("该名单条目已移出名单，无需修复。")
    elif not record.is_publicised or (record.publicity_end and record.publicity_end < on):
        reasons.append("该信息按政策不予公示或已过公示期，无需修复。")
    list_type = _list_type_of(record)
    if list_type is not None and not list_type.repairable:
        # Red lists and court-managed lists are not repaired here: say why and where to go (ListType data).
        reasons.append(list_type.repair_note or f"“{list_type.name}”不适用信用修复。")
    elif not repair_allowed(record_type=record.record_type, on=on):
        reasons.append(f"“{record.record_type.name}”类信息按现行政策不可申请信用修复。")
    else:
        earliest = repair_earliest(record=record, on=on)
        if earliest is not None and on < earliest:
            reasons.append(
                f"最短公示期尚未届满：{earliest:%Y年%m月%d日} 起方可申请修复（还差 {(earliest - on).days} 天）。"
            )
    running = RepairApplication.objects.filter(record=record, state__in=REPAIR_OPEN_STATES).first()
    if running is not None:
        reasons.append(f"该信息已有正在办理的信用修复申请（编号 {running.number}，{running.get_state_display()}）。")
    return reasons


def _list_type_of(record: Record):
    """The list type of a list-entry record (from its overlay row, else by the 名单类型 field); None otherwise."""
    if record.record_type.code != LIST_ENTRY_TYPE:
        return None
    from apps.lists.models import ListType

    entry = getattr(record, "list_entry", None)
    if entry is not None:
        return entry.list_type
    code = TypeSpec.load(record.record_type).field_code(CatalogRole.LIST_TYPE)
    return ListType.objects.filter(name=(record.data or {}).get(code)).first()


# --- helpers -------------------------------------------------------------------------------


def _label(actor) -> str:
    return str(actor) if getattr(actor, "pk", None) else (str(actor or "") or "系统")


def _event(application, *, action, to, actor, reason=""):
    RepairEvent.objects.create(
        application=application, action=action, from_state=application.state, to_state=to,
        actor=actor if getattr(actor, "pk", None) else None, actor_label=_label(actor), reason=reason,
    )  # fmt: skip
    application.state = to


_STEP_KEYS = {
    RepairState.SUBMITTED: PolicyKey.REPAIR_ACCEPT_DAYS,
    RepairState.DEPARTMENT_REVIEW: PolicyKey.REPAIR_VERIFY_DAYS,
    RepairState.CENTER_REVIEW: PolicyKey.REPAIR_DECIDE_DAYS,
}


def _start_step(application, *, today, clock_from=None):
    """Enter the current state's step: its deadline (from policy, on working days), flags cleared."""
    application.step_started_on = today
    application.due_flag, application.escalated_at = DueFlag.NONE, None
    key = _STEP_KEYS.get(application.state)
    if key is None:
        application.due_on, application.due_calendar = None, ""
        return
    # Verification and decision both run from acceptance (or from the day missing materials arrived).
    start = today if application.state == RepairState.SUBMITTED else (clock_from or today)
    due = step_due(key, record_type=application.record.record_type, start=start)
    application.due_on, application.due_calendar = due.deadline, due.calendar


def _lock(application) -> RepairApplication:
    return RepairApplication.objects.select_for_update().select_related("record__record_type").get(pk=application.pk)


def _require_state(application, *states):
    if application.state not in states:
        raise ValidationError(f"申请当前状态为“{application.get_state_display()}”，不能执行此操作。")


def _require_center(user):
    if not has_role(user, CENTER_ROLES):
        raise PermissionDenied("仅信用中心工作人员可以执行此操作。")


def can_verify(user, application) -> bool:
    """Department verification: a reviewer of the department that provided the record."""
    return (
        getattr(user, "is_authenticated", False)
        and user.role == Role.REVIEWER
        and user.department_id is not None
        and user.department_id == application.department_id
    )


def is_applicant(user, application) -> bool:
    if not getattr(user, "is_authenticated", False) or user.role != Role.SUBJECT:
        return False
    return application.applicant_id == user.pk or (
        user.subject_id is not None and user.subject_id == application.subject_id
    )


def _require_applicant_or_center(user, application):
    if not (is_applicant(user, application) or has_role(user, CENTER_ROLES)):
        raise PermissionDenied("只有申请人（或代为录入的信用中心工作人员）可以执行此操作。")


def _url(application) -> str:
    return reverse("repair:detail", args=[application.pk])


def _notify_applicant(application, title, body):
    users = [application.applicant] if application.applicant_id else []
    emails = [application.contact_email] if application.contact_email and not users else []
    notification_send(users=users, emails=emails, title=title, body=body, url=_url(application))


def _set_under_repair(record_id, value: bool):
    Record.objects.filter(pk=record_id).update(under_repair=value, updated_at=timezone.now())


# --- actions ---------------------------------------------------------------------------------


ON_BEHALF_LOOKUP_REASON = "窗口代为录入信用修复申请：按身份证号码查找主体"


def on_behalf_subject_find(*, code: str, user, remote_addr: str | None = None) -> tuple[Subject | None, str, list[str]]:
    """Hall staff find the subject they enter an application for, by USCC or (a natural person) ID number.

    Returns ``(subject, display, problems)``: ``display`` is what the page may echo back — the code as typed
    for a USCC, the masked number for an ID number, nothing for anything that might be an ID number. A
    person found by ID number is a view of personal data: the lookup is logged (PersonalDataAccess).
    """
    if not has_role(user, CENTER_ROLES):
        raise PermissionDenied("仅信用中心工作人员可以代为录入信用修复申请。")
    code = normalise_code(code)
    if not code:
        return None, "", ["请输入统一社会信用代码或身份证号码。"]
    uscc = check_uscc(code)
    if uscc.valid:
        subject = Subject.objects.filter(uscc=uscc.code).order_by("pk").first()
        return subject, uscc.code, [] if subject else [f"未找到统一社会信用代码为 {uscc.code} 的主体。"]
    id_check = check_id_number(code)
    if not id_check.valid:
        shown = "" if len(code) == 18 and code[:17].isdigit() else code  # a mistyped ID number is not echoed
        what = f"“{shown}”" if shown else "输入的号码"
        return None, shown, [f"{what}既不是有效的统一社会信用代码，也不是有效的身份证号码，请核对后重新输入。"]
    masked = mask_id_number(id_check.code)
    subject = Subject.objects.filter(id_number_hash=id_number_hash(id_check.code)).order_by("pk").first()
    if subject is None:
        return None, masked, [f"未找到身份证号码为 {masked} 的自然人主体。"]
    personal_data_access_record(
        user=user, subject=subject, field="id_number", reason=ON_BEHALF_LOOKUP_REASON, remote_addr=remote_addr
    )
    return subject, masked, []


def repair_application_problems(
    *, records, subject, materials: list[tuple[str, object]], on: datetime.date
) -> tuple[dict[str, list[str]], list]:
    """Eligibility of each record and the materials policy requires, every problem keyed by form field.

    Returns ``(errors, checked_files)``; a form shows these next to its own field errors.
    """
    errors: dict[str, list[str]] = {}
    if subject is None:
        errors.setdefault("records", []).append(
            "请先认领信用主体（工作台 → 我的主体认领），经信用中心审核后再申请修复。"
        )
    if not records:
        errors.setdefault("records", []).append("请选择要修复的信息。")
    for record in records:
        try:
            reasons = repair_eligibility(record=record, on=on, subject=subject)
        except PolicyMissing as exc:
            reasons = [str(exc)]
        for reason in reasons:
            errors.setdefault("records", []).append(f"{record.decision_number}：{reason}")
    checked = []
    for kind, uploaded in materials:
        if uploaded is None:
            continue
        file, problems = material_check(uploaded)
        if problems:
            errors.setdefault(kind, []).extend(problems)
        else:
            checked.append((kind, file))
    given = {kind for kind, uploaded in materials if uploaded is not None}
    for record in records:
        for kind in required_materials(record=record, on=on):
            if kind not in given:
                message = f"请上传“{MaterialKind(kind).label}”（按政策{record.get_severity_display()}信息须提交）。"
                if message not in errors.get(kind, []):
                    errors.setdefault(kind, []).append(message)
    return errors, checked


def repair_application_submit(
    *,
    records,
    subject,
    contact_name: str,
    contact_phone: str,
    statement: str,
    materials: list[tuple[str, object]],
    applicant=None,
    entered_by=None,
    contact_email: str = "",
    on: datetime.date | None = None,
) -> list[RepairApplication]:
    """File one application per chosen record. Every problem is reported at once
    (``ValidationError`` keyed by form field) and nothing is written unless all pass."""
    on = on or timezone.localdate()
    records = list(records)
    errors, checked = repair_application_problems(records=records, subject=subject, materials=materials, on=on)
    for field, value, message in (
        ("contact_name", contact_name, "请填写联系人。"),
        ("contact_phone", contact_phone, "请填写联系电话。"),
        ("statement", statement, "请说明履行法定义务、纠正失信行为的情况。"),
    ):
        if not (value or "").strip():
            errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)

    created = []
    with materials_atomic():
        for record in Record.objects.select_for_update().filter(pk__in=[r.pk for r in records]).order_by("pk"):
            # Re-checked under the row lock: two submissions at once cannot both open a case.
            if RepairApplication.objects.filter(record=record, state__in=REPAIR_OPEN_STATES).exists():
                raise ValidationError({"records": [f"{record.decision_number}：已有正在办理的信用修复申请。"]})
            application = RepairApplication(
                number=f"t{uuid.uuid4().hex[:16]}",
                record=record, department_id=record.department_id, subject=subject,
                applicant=applicant if getattr(applicant, "pk", None) else None,
                entered_by=entered_by if getattr(entered_by, "pk", None) else None,
                contact_name=contact_name.strip(), contact_phone=contact_phone.strip(),
                contact_email=contact_email.strip(), statement=statement.strip(),
                state=RepairState.SUBMITTED, step_started_on=on,
            )  # fmt: skip
            _start_step(application, today=on)
            application.save()
            application.number = f"XF{on:%Y}{application.pk:06d}"
            application.save(update_fields=["number"])
            RepairEvent.objects.create(
                application=application, action=RepairAction.SUBMIT, from_state="", to_state=RepairState.SUBMITTED,
                actor=entered_by or applicant, actor_label=_label(entered_by or applicant),
                reason="窗口代为录入" if entered_by else "",
            )  # fmt: skip
            for kind, file in checked:
                material_store(checked=file, kind=kind, user=entered_by or applicant, application=application)
            # The 信用修复承诺书 tells the signer it is recorded and published as a commitment: it is, in
            # this transaction (one per record's repair, reused when a filing is retried or filed again).
            repair_commitment_publish(record=record, subject=subject, on=on, signed_by=applicant, entered_by=entered_by)
            _set_under_repair(record.pk, True)
            created.append(application)
        numbers = "、".join(a.number for a in created)
        notification_send(
            users=center_staff(), title=f"新的信用修复申请待受理：{numbers}",
            body=f"{created[0].record.subject_name} 申请修复 {len(created)} 条信息，请在受理时限内受理。",
            url=_url(created[0]),
        )  # fmt: skip
    return created


@transaction.atomic
def repair_application_accept(*, application, actor, note: str = "") -> RepairApplication:
    _require_center(actor)
    application = _lock(application)
    _require_state(application, RepairState.SUBMITTED)
    today = timezone.localdate()
    _event(application, action=RepairAction.ACCEPT, to=RepairState.DEPARTMENT_REVIEW, actor=actor, reason=note)
    application.accepted_on = today
    _start_step(application, today=today, clock_from=today)
    application.save()
    notification_send(
        users=department_reviewers(application.department), title=f"信用修复申请待核实：{application.number}",
        body=f"{application.record.subject_name} 的 {application.record.decision_number} 申请信用修复，"
        f"请于 {application.due_on:%Y-%m-%d} 前核实。", url=_url(application),
    )  # fmt: skip
    _notify_applicant(application, f"您的信用修复申请已受理：{application.number}", "已转信息提供部门核实。")
    return application


def _close_without_repair(application, *, action, to, actor, reason: str = "", decided: bool = True) -> None:
    """Refused, rejected or withdrawn: the case ends, its clock stops and the record is no longer 修复中.

    ``decided``: the reason is the center's decision (a withdrawal's note stays in the history only).
    """
    _event(application, action=action, to=to, actor=actor, reason=reason)
    if decided:
        application.decision_reason = reason
    application.decided_at = timezone.now()
    _start_step(application, today=timezone.localdate())
    application.save()
    _set_under_repair(application.record_id, False)


@transaction.atomic
def repair_application_refuse(*, application, actor, reason: str) -> RepairApplication:
    """Refuse to accept. The 信用修复型 commitment made at filing stays published: the subject made it, and
    refusing the application does not unmake a statement already public (apps.commitments.services)."""
    _require_center(actor)
    if not reason.strip():
        raise ValidationError("不予受理必须说明理由。")
    application = _lock(application)
    _require_state(application, RepairState.SUBMITTED)
    _close_without_repair(application, action=RepairAction.REFUSE, to=RepairState.REFUSED, actor=actor, reason=reason)
    _notify_applicant(application, f"您的信用修复申请不予受理：{application.number}", f"理由：{reason}")
    return application


@transaction.atomic
def repair_application_verify(*, application, actor, agrees: bool, opinion: str) -> RepairApplication:
    """The providing department's verification: its opinion goes to the credit center for the decision."""
    application = _lock(application)
    if not can_verify(actor, application):
        raise PermissionDenied("只有该信息提供部门的审核员可以核实。")
    _require_state(application, RepairState.DEPARTMENT_REVIEW)
    if not opinion.strip():
        raise ValidationError("请填写核实意见。")
    verdict = "同意修复" if agrees else "不同意修复"
    _event(
        application,
        action=RepairAction.VERIFY,
        to=RepairState.CENTER_REVIEW,
        actor=actor,
        reason=f"{verdict}：{opinion}",
    )
    application.department_agrees, application.department_opinion = agrees, opinion
    _start_step(application, today=timezone.localdate(), clock_from=application.accepted_on)
    application.save()
    notification_send(
        users=center_staff(), title=f"信用修复申请待决定：{application.number}",
        body=f"{application.department.name}核实意见：{verdict}。", url=_url(application),
    )  # fmt: skip
    return application


@transaction.atomic
def repair_application_request_supplement(*, application, actor, request: str) -> RepairApplication:
    application = _lock(application)
    allowed = has_role(actor, CENTER_ROLES) and application.state in (RepairState.SUBMITTED, RepairState.CENTER_REVIEW)
    allowed = allowed or (application.state == RepairState.DEPARTMENT_REVIEW and can_verify(actor, application))
    if not allowed:
        _require_state(application, RepairState.SUBMITTED, RepairState.DEPARTMENT_REVIEW, RepairState.CENTER_REVIEW)
        raise PermissionDenied("您不能在本环节要求补充材料。")
    if not request.strip():
        raise ValidationError("请写明需要补充的材料。")
    application.resume_state = application.state
    _event(application, action=RepairAction.REQUEST_SUPPLEMENT, to=RepairState.SUPPLEMENT, actor=actor, reason=request)
    application.supplement_request = request
    _start_step(application, today=timezone.localdate())
    application.save()
    _notify_applicant(application, f"请补充信用修复材料：{application.number}", request)
    return application


def repair_application_supplement(*, application, actor, materials: list[tuple[str, object]], note: str = ""):
    """The applicant supplies what was asked; the case returns to the step that asked, its clock restarted."""
    _require_applicant_or_center(actor, application)
    checked, errors = [], {}
    for kind, uploaded in materials:
        if uploaded is None:
            continue
        file, problems = material_check(uploaded)
        if problems:
            errors.setdefault("file", []).extend(problems)
        else:
            checked.append((kind, file))
    if not checked and not errors:
        errors["file"] = ["请上传补充的材料。"]
    if errors:
        raise ValidationError(errors)
    with materials_atomic():
        application = _lock(application)
        _require_state(application, RepairState.SUPPLEMENT)
        for kind, file in checked:
            material_store(checked=file, kind=kind, user=actor, application=application)
        back = application.resume_state or RepairState.SUBMITTED
        _event(application, action=RepairAction.SUPPLEMENT, to=back, actor=actor, reason=note)
        today = timezone.localdate()
        _start_step(application, today=today, clock_from=today)
        application.resume_state, application.supplement_request = "", ""
        application.save()
        who = department_reviewers(application.department) if back == RepairState.DEPARTMENT_REVIEW else center_staff()
        notification_send(users=who, title=f"申请人已补充材料：{application.number}", url=_url(application))
    return application


def _list_entry_leave(record, *, actor, reason: str) -> None:
    """A repaired list entry leaves its list, so it never reads 在列 while it no longer counts."""
    from apps.lists.models import ListEntry
    from apps.lists.services import list_entry_remove

    entry = ListEntry.objects.filter(record_id=record.pk, state="listed").first()
    if entry is not None:
        list_entry_remove(entry=entry, actor=actor, reason=reason)


@transaction.atomic
def repair_application_approve(*, application, reviewer, reason: str = "") -> RepairApplication:
    """准予修复: the record stops being public and stops triggering measures, everywhere, now."""
    _require_center(reviewer)
    application = _lock(application)
    _require_state(application, RepairState.CENTER_REVIEW)
    _event(application, action=RepairAction.APPROVE, to=RepairState.APPROVED, actor=reviewer, reason=reason)
    application.decision_reason, application.decided_at = reason, timezone.now()
    _start_step(application, today=timezone.localdate())
    application.save()
    record = Record.objects.select_for_update().get(pk=application.record_id)
    record.repaired, record.under_repair = True, False
    record.save(update_fields=["repaired", "under_repair", "updated_at"])
    _list_entry_leave(record, actor=reviewer, reason=f"信用修复（{application.number}）准予修复")
    RecordEvent.objects.create(
        record=record, action=Action.UPDATE, actor=reviewer, actor_label=_label(reviewer),
        reason=f"信用修复（{application.number}）准予修复：停止公示，不再作为联合惩戒依据（平台内保留）。{reason}".strip(),
        before={"repaired": False}, after={"repaired": True},
    )  # fmt: skip
    _notify_applicant(
        application, f"信用修复已完成：{application.number}",
        f"{record.record_type.name} {record.decision_number} 已准予修复，自即日起停止公示。{reason}".strip(),
    )  # fmt: skip
    notification_send(
        users=department_reviewers(application.department), title=f"信用修复准予修复：{application.number}",
        body=f"{record.decision_number} 已停止公示。", url=_url(application),
    )  # fmt: skip
    return application


@transaction.atomic
def repair_application_reject(*, application, reviewer, reason: str) -> RepairApplication:
    _require_center(reviewer)
    if not reason.strip():
        raise ValidationError("不予修复必须说明理由。")
    application = _lock(application)
    _require_state(application, RepairState.CENTER_REVIEW)
    _close_without_repair(
        application, action=RepairAction.REJECT, to=RepairState.REJECTED, actor=reviewer, reason=reason
    )
    _notify_applicant(application, f"信用修复申请不予修复：{application.number}", f"理由：{reason}")
    return application


@transaction.atomic
def repair_application_withdraw(*, application, actor, reason: str = "") -> RepairApplication:
    _require_applicant_or_center(actor, application)
    application = _lock(application)
    _require_state(application, *REPAIR_OPEN_STATES)
    _close_without_repair(
        application, action=RepairAction.WITHDRAW, to=RepairState.WITHDRAWN, actor=actor, reason=reason, decided=False
    )
    notification_send(users=center_staff(), title=f"信用修复申请已撤回：{application.number}", url=_url(application))
    return application


# --- objections (DOMAIN.md §7) ------------------------------------------------------------


def objection_url(objection) -> str:
    return reverse("repair:objection_detail", args=[objection.pk])


def _objection_event(objection, *, action, to, actor, reason=""):
    ObjectionEvent.objects.create(
        objection=objection, action=action, from_state=objection.state, to_state=to,
        actor=actor if getattr(actor, "pk", None) else None, actor_label=_label(actor), reason=reason,
    )  # fmt: skip
    objection.state = to


_OBJECTION_STEP_KEYS = {
    ObjectionState.SUBMITTED: PolicyKey.OBJECTION_ACCEPT_DAYS,
    ObjectionState.VERIFYING: PolicyKey.OBJECTION_VERIFY_DAYS,
}


def _objection_step(objection, *, today):
    objection.step_started_on = today
    objection.due_flag, objection.escalated_at = DueFlag.NONE, None
    key = _OBJECTION_STEP_KEYS.get(objection.state)
    if key is None:
        objection.due_on, objection.due_calendar = None, ""
        return
    due = step_due(key, record_type=objection.record.record_type, start=today)
    objection.due_on, objection.due_calendar = due.deadline, due.calendar


def _sync_under_objection(record_id):
    """异议处理中 while any objection about the record is open."""
    open_ = Objection.objects.filter(record_id=record_id, state__in=OBJECTION_OPEN_STATES).exists()
    Record.objects.filter(pk=record_id).exclude(under_objection=open_).update(
        under_objection=open_, updated_at=timezone.now()
    )


def _notify_filer(objection, title, body):
    users = [objection.filer] if objection.filer_id else []
    emails = [objection.contact_email] if objection.contact_email and not users else []
    notification_send(users=users, emails=emails, title=title, body=body, url=objection_url(objection) if users else "")


def is_filer(user, objection) -> bool:
    return getattr(user, "is_authenticated", False) and objection.filer_id == user.pk


def objection_submit(
    *,
    record: Record,
    contact_name: str,
    contact_phone: str,
    relation: str,
    grounds: str,
    contact_email: str = "",
    contact_id_number: str = "",
    requested_change: str = "",
    filer=None,
    evidence=None,
    on: datetime.date | None = None,
) -> Objection:
    """Anyone concerned disputes a record; it shows 异议处理中 publicly until the objection is answered."""
    on = on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    for field, value, message in (
        ("contact_name", contact_name, "请填写姓名或单位名称。"),
        ("contact_phone", contact_phone, "请填写联系电话。"),
        ("relation", relation, "请说明您与该信息的关系。"),
        ("grounds", grounds, "请写明异议内容及理由。"),
    ):
        if not (value or "").strip():
            errors.setdefault(field, []).append(message)
    if not filer and not (contact_email or "").strip():
        errors.setdefault("contact_email", []).append("未登录提交的，请填写电子邮箱，以便接收答复。")
    masked = ""
    if contact_id_number:
        result = check_id_number(contact_id_number.strip())
        if not result.valid:
            errors.setdefault("contact_id_number", []).extend(result.errors or ["身份证号码不正确。"])
        else:
            masked = mask_id_number(result.code)
    checked = None
    if evidence is not None:
        checked, problems = material_check(evidence)
        if problems:
            errors.setdefault("evidence", []).extend(problems)
    if record.status != Status.PUBLISHED:
        errors.setdefault("__all__", []).append("该信息不在公示中，无法提出异议。")
    if errors:
        raise ValidationError(errors)
    with materials_atomic():
        objection = Objection(
            number=f"t{uuid.uuid4().hex[:16]}", record=record, department_id=record.department_id,
            filer=filer if getattr(filer, "pk", None) else None, contact_name=contact_name.strip(),
            contact_phone=contact_phone.strip(), contact_email=(contact_email or "").strip(),
            contact_id_masked=masked, relation=relation.strip(), grounds=grounds.strip(),
            requested_change=(requested_change or "").strip(), state=ObjectionState.SUBMITTED, step_started_on=on,
        )  # fmt: skip
        _objection_step(objection, today=on)
        objection.save()
        objection.number = f"YY{on:%Y}{objection.pk:06d}"
        if objection.filer is None:
            objection.lookup_code = lookup_code_new()  # shown once, on the page that confirms the filing
            objection.lookup_code_hash = _code_hash(objection.lookup_code)
        objection.save(update_fields=["number", "lookup_code_hash"])
        ObjectionEvent.objects.create(
            objection=objection, action=ObjectionAction.SUBMIT, from_state="", to_state=ObjectionState.SUBMITTED,
            actor=objection.filer, actor_label=_label(filer) if objection.filer else f"公众：{objection.contact_name}",
        )  # fmt: skip
        if checked is not None:
            material_store(checked=checked, kind=MaterialKind.EVIDENCE, user=filer, objection=objection)
        _sync_under_objection(record.pk)
        notification_send(
            users=center_staff(), title=f"新的异议申请待受理：{objection.number}",
            body=f"{record.subject_name} {record.decision_number}", url=objection_url(objection),
        )  # fmt: skip
    return objection


# Unambiguous characters only (no 0/O, 1/I/L): the code is read off a screen or paper and typed in.
LOOKUP_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LOOKUP_CODE_LENGTH = 8
_NO_SUCH_CASE_HASH = hashlib.sha256(b"no such case").hexdigest()


def lookup_code_new() -> str:
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(LOOKUP_CODE_LENGTH))


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def objection_lookup(*, number: str, code: str) -> Objection | None:
    """A public objector's own case by number and code; ``None`` for any mismatch, the same way for each.

    The code is compared in constant time, and a number that does not exist costs the same comparison,
    so the answer tells a guesser nothing about which numbers are in use.
    """
    number = (number or "").strip().upper()[:20]
    found = (
        Objection.objects.select_related("record__record_type", "department")
        .filter(number=number)
        .exclude(lookup_code_hash="")
        .first()
    )
    expected = found.lookup_code_hash if found else _NO_SUCH_CASE_HASH
    matches = hmac.compare_digest(expected, _code_hash((code or "")[:20]))
    return found if found is not None and matches else None


def _lock_objection(objection) -> Objection:
    return Objection.objects.select_for_update().select_related("record__record_type").get(pk=objection.pk)


def _require_objection_state(objection, *states):
    if objection.state not in states:
        raise ValidationError(f"异议当前状态为“{objection.get_state_display()}”，不能执行此操作。")


def can_verify_objection(user, objection) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.role == Role.REVIEWER
        and user.department_id is not None
        and user.department_id == objection.department_id
    )


@transaction.atomic
def objection_accept(*, objection, actor, note: str = "") -> Objection:
    _require_center(actor)
    objection = _lock_objection(objection)
    _require_objection_state(objection, ObjectionState.SUBMITTED)
    today = timezone.localdate()
    _objection_event(objection, action=ObjectionAction.ACCEPT, to=ObjectionState.VERIFYING, actor=actor, reason=note)
    objection.accepted_on = today
    _objection_step(objection, today=today)
    objection.save()
    notification_send(
        users=department_reviewers(objection.department), title=f"异议申请待核实：{objection.number}",
        body=f"{objection.record.decision_number}，请于 {objection.due_on:%Y-%m-%d} 前核实并答复。",
        url=objection_url(objection),
    )  # fmt: skip
    return objection


@transaction.atomic
def objection_refuse(*, objection, actor, reply: str) -> Objection:
    _require_center(actor)
    if not reply.strip():
        raise ValidationError("不予受理必须答复理由。")
    objection = _lock_objection(objection)
    _require_objection_state(objection, ObjectionState.SUBMITTED)
    _objection_event(objection, action=ObjectionAction.REFUSE, to=ObjectionState.REFUSED, actor=actor, reason=reply)
    objection.reply, objection.decided_at = reply, timezone.now()
    _objection_step(objection, today=timezone.localdate())
    objection.save()
    _sync_under_objection(objection.record_id)
    _notify_filer(objection, f"异议申请不予受理：{objection.number}", f"答复：{reply}")
    return objection


def _close(objection, *, outcome, action, actor, reply):
    _objection_event(objection, action=action, to=ObjectionState.CLOSED, actor=actor, reason=reply)
    objection.outcome, objection.reply, objection.decided_at = outcome, reply, timezone.now()
    _objection_step(objection, today=timezone.localdate())
    objection.save()
    _sync_under_objection(objection.record_id)
    _notify_filer(objection, f"异议处理结果（{ObjectionOutcome(outcome).label}）：{objection.number}", f"答复：{reply}")
    return objection


def _check_close(objection, actor, reply):
    if not can_verify_objection(actor, objection):
        raise PermissionDenied("只有该信息提供部门的审核员可以核实异议。")
    _require_objection_state(objection, ObjectionState.VERIFYING)
    if not reply.strip():
        raise ValidationError("请填写给申请人的答复。")


def _record_row(record) -> dict:
    """The record's data as the intake pipeline takes it: ID numbers decrypted, multi-values joined."""
    row = {}
    for code, value in (record.data or {}).items():
        row[code] = ";".join(str(v) for v in value) if isinstance(value, list) else value
    for code, token in (record.private_data or {}).items():
        row[code] = decrypt(token)
    return row


@transaction.atomic
def objection_correct(*, objection, actor, changes: dict, reply: str) -> Objection:
    """更正: the record is corrected through the intake pipeline, so its history keeps the values before and after."""
    from apps.records.services import records_ingest

    objection = _lock_objection(objection)
    _check_close(objection, actor, reply)
    record = Record.objects.select_related("record_type").get(pk=objection.record_id)
    spec = TypeSpec.load(record.record_type)
    key = spec.field_code(CatalogRole.DECISION_NUMBER)
    errors = []
    if not changes:
        errors.append("请填写需要更正的字段及更正后的内容。")
    for code in changes:
        if code not in spec.by_code:
            errors.append(f"字段“{code}”不属于{record.record_type.name}。")
        elif code == key:
            errors.append("决定文书号是该信息的标识，不能更正；如文书号有误请撤销后重新报送。")
    if errors:
        raise ValidationError(errors)
    row = _record_row(record) | {code: value for code, value in changes.items()}
    summary = records_ingest(
        record_type=spec, department=record.department, rows=[(None, row)], actor=actor,
        reason=f"异议更正（{objection.number}）：{reply}",
        # A severity the department stated outside the row (before the column existed) is kept;
        # a derived one is derived again from the corrected row.
        severity=record.severity if record.severity_source != "derived" else None,
        submit=record.status != Status.DRAFT,
    )  # fmt: skip
    outcome = summary.outcomes[0]
    if outcome.outcome == "rejected":
        raise ValidationError([f"更正后的信息未通过校验：{p}" for p in outcome.problems])
    return _close(
        objection, outcome=ObjectionOutcome.CORRECTED, action=ObjectionAction.CORRECT, actor=actor, reply=reply
    )


@transaction.atomic
def objection_revoke(*, objection, actor, reply: str) -> Objection:
    """撤销: the record was wrong; it is revoked, and a wrong list entry is removed so its measures stop."""
    from apps.lists.models import ListEntry
    from apps.lists.services import list_entry_remove
    from apps.records.services import record_revoke

    objection = _lock_objection(objection)
    _check_close(objection, actor, reply)
    reason = f"异议核实（{objection.number}）：{reply}"
    entry = ListEntry.objects.filter(record_id=objection.record_id, state="listed").first()
    if entry is not None:
        list_entry_remove(entry=entry, actor=actor, reason=reason)
    record_revoke(record=objection.record, actor=actor, reason=reason)
    return _close(objection, outcome=ObjectionOutcome.REVOKED, action=ObjectionAction.REVOKE, actor=actor, reply=reply)


@transaction.atomic
def objection_uphold(*, objection, actor, reply: str) -> Objection:
    objection = _lock_objection(objection)
    _check_close(objection, actor, reply)
    return _close(objection, outcome=ObjectionOutcome.UPHELD, action=ObjectionAction.UPHOLD, actor=actor, reply=reply)


@transaction.atomic
def objection_withdraw(*, objection, actor, reason: str = "") -> Objection:
    objection = _lock_objection(objection)
    if not (is_filer(actor, objection) or has_role(actor, CENTER_ROLES)):
        raise PermissionDenied("只有异议申请人可以撤回。")
    _require_objection_state(objection, *OBJECTION_OPEN_STATES)
    _objection_event(
        objection, action=ObjectionAction.WITHDRAW, to=ObjectionState.WITHDRAWN, actor=actor, reason=reason
    )
    objection.decided_at = timezone.now()
    _objection_step(objection, today=timezone.localdate())
    objection.save()
    _sync_under_objection(objection.record_id)
    return objection


# --- deadlines: due-soon and overdue flags, escalation ----------------------------------------


def cases_flag_due(*, today: datetime.date | None = None) -> dict:
    """Flag open staff steps as 临期 / 超期 (set-based), and escalate newly overdue cases to the credit center.

    Idempotent: a second run on the same day escalates nothing new.
    """
    from apps.workdays.services import workdays_add

    from .policy import due_soon_days

    today = today or timezone.localdate()
    soon_until = workdays_add(start=today, days=due_soon_days(on=today)).deadline
    summary = {"due_soon": 0, "overdue": 0, "escalated": 0}
    escalated = []
    with transaction.atomic():
        for model, states, event_model, link, fk in (
            (RepairApplication, REPAIR_STAFF_STATES, RepairEvent, _url, "application"),
            (Objection, OBJECTION_OPEN_STATES, ObjectionEvent, objection_url, "objection"),
        ):
            open_ = model.objects.filter(state__in=states, due_on__isnull=False)
            overdue = open_.filter(due_on__lt=today)
            soon = open_.filter(due_on__gte=today, due_on__lte=soon_until)
            overdue.exclude(due_flag=DueFlag.OVERDUE).update(due_flag=DueFlag.OVERDUE)
            soon.exclude(due_flag=DueFlag.DUE_SOON).update(due_flag=DueFlag.DUE_SOON)
            open_.filter(due_on__gt=soon_until).exclude(due_flag=DueFlag.NONE).update(due_flag=DueFlag.NONE)
            summary["due_soon"] += soon.count()
            summary["overdue"] += overdue.count()
            new = list(overdue.filter(escalated_at__isnull=True).select_related("department", "record"))
            if new:
                now = timezone.now()
                model.objects.filter(pk__in=[c.pk for c in new]).update(escalated_at=now)
                event_model.objects.bulk_create(
                    [
                        event_model(
                            **{fk: case},
                            action="escalate",
                            from_state=case.state,
                            to_state=case.state,
                            actor_label="系统（超期督办）",
                            reason=f"本环节办理期限 {case.due_on:%Y-%m-%d} 已过，已提请信用中心督办。",
                        )  # fmt: skip
                        for case in new
                    ]
                )
                for case in new:
                    escalated.append((case, link(case)))
        summary["escalated"] = len(escalated)
        if escalated:
            lines = "\n".join(
                f"{case.number} {case.record.subject_name}（{case.get_state_display()}，{case.department.name}，"
                f"期限 {case.due_on:%Y-%m-%d}）"
                for case, _ in escalated
            )
            notification_send(
                users=center_staff(), title=f"超期督办：{len(escalated)} 件信用修复/异议案件已超过办理期限",
                body=lines, url=reverse("repair:list") + "?flag=overdue",
            )  # fmt: skip
            by_department = {}
            for case, url in escalated:
                if case.state in (RepairState.DEPARTMENT_REVIEW, ObjectionState.VERIFYING):
                    by_department.setdefault(case.department, []).append((case, url))
            for department, cases in by_department.items():
                notification_send(
                    users=department_reviewers(department), title=f"{len(cases)} 件核实案件已超期，请尽快办理",
                    body="、".join(case.number for case, _ in cases), url=cases[0][1],
                )  # fmt: skip
    return summary


# --- 两书同达: bulk 告知书 -----------------------------------------------------------------------

logger = logging.getLogger(__name__)
NOTICE_BATCH_PROGRESS_EVERY = 10  # notices between two progress writes
# What the batch page says when generation fails: the exception text (paths, library messages) stays in the log.
NOTICE_BATCH_FAILED = "生成失败：处理时发生内部错误，已记录日志，请联系信用中心技术人员。"


def _batch_records(*, user, date_from, date_to):
    from .selectors import notice_records

    return (
        notice_records(user=user)
        .filter(decision_date__gte=date_from, decision_date__lte=date_to)
        .order_by("decision_date", "pk")
    )


def _records_of_batch(batch: NoticeBatch):
    if batch.upload_id:
        from .selectors import upload_notice_records

        return upload_notice_records(user=batch.requested_by, upload=batch.upload)
    return _batch_records(user=batch.requested_by, date_from=batch.date_from, date_to=batch.date_to)


def notice_upload_batch_request(*, user, upload) -> NoticeBatch:
    """Queue the zip of the 告知书 of every penalty an upload stored, to serve them with the decisions.

    The caller has already scoped ``upload`` to the user's department (records_upload's queryset).
    """
    from .selectors import upload_notice_records
    from .tasks import build_notice_batch

    count = upload_notice_records(user=user, upload=upload).count()
    limit = settings.REPAIR_NOTICE_BULK_MAX
    if not count:
        raise ValidationError("该上传批次没有需要送达告知书的行政处罚。")
    if count > limit:
        raise ValidationError(f"本批次共 {count} 份，超过每次 {limit} 份上限，请按决定日期分段批量生成。")
    with transaction.atomic():
        batch = NoticeBatch.objects.create(requested_by=user, department=upload.department, upload=upload, total=count)
        transaction.on_commit(lambda: build_notice_batch.apply_async(args=[batch.pk], queue="bulk"))
    return batch


def _notice_service_check(*, record: Record, served_on: datetime.date, method: str):
    from .choices import NoticeServiceMethod

    if record.record_type.code != "penalty" or record.status == Status.REVOKED or not record.is_publicised:
        raise ValidationError(f"{record.decision_number}：只有未撤销、需公示的行政处罚才送达信用修复告知书。")
    if method not in NoticeServiceMethod.values:
        raise ValidationError({"method": "请选择送达方式。"})
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": "送达日期不能晚于今天。"})
    if served_on < record.decision_date:
        raise ValidationError(
            {"served_on": f"{record.decision_number}：送达日期不能早于处罚决定日期 {record.decision_date:%Y-%m-%d}。"}
        )


def notice_service_record(
    *, records, served_on: datetime.date, method: str, note: str = "", user=None, actor_label: str = ""
) -> list:
    """Record that the 告知书 of ``records`` was served on ``served_on`` by ``method`` (one call: form,
    bulk for an upload, API). Recording again replaces a record's earlier entry; auditlog keeps both.

    All or nothing: one record that cannot be served refuses the whole call with its reason.
    """
    import contextlib

    from auditlog.context import auditlog_value, set_actor

    from .models import NoticeService

    records = list(records)
    if not records:
        raise ValidationError("请选择要登记送达的行政处罚。")
    for record in records:
        _notice_service_check(record=record, served_on=served_on, method=method)
    # Saved one by one, not bulk: auditlog writes its entry from each save's signal.
    actor = user if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) else None
    # A web request already has auditlog's actor (its middleware); a task or the shell names it here.
    audit = set_actor(actor) if actor and auditlog_value.get(None) is None else contextlib.nullcontext()
    saved = []
    with transaction.atomic(), audit:
        for record in records:
            service = NoticeService.objects.filter(record=record).first() or NoticeService(record=record)
            service.record = record
            service.served_on, service.method, service.note = served_on, method, note[:200]
            service.recorded_by, service.recorded_by_label = actor, actor_label[:100]
            service.save()
            saved.append(service)
    return saved


def notice_batch_request(*, user, date_from: datetime.date, date_to: datetime.date) -> NoticeBatch:
    """Queue the zip of every 告知书 of the user's department's penalties decided in the period."""
    from .tasks import build_notice_batch

    count = _batch_records(user=user, date_from=date_from, date_to=date_to).count()
    limit = settings.REPAIR_NOTICE_BULK_MAX
    if not count:
        raise ValidationError("该期间没有需要送达告知书的行政处罚。")
    if count > limit:
        raise ValidationError(f"本次共 {count} 份，超过每次 {limit} 份上限，请缩短日期范围。")
    with transaction.atomic():
        batch = NoticeBatch.objects.create(
            requested_by=user, department=None if has_role(user, CENTER_ROLES) else user.department,
            date_from=date_from, date_to=date_to, total=count,
        )  # fmt: skip
        # Up to REPAIR_NOTICE_BULK_MAX PDFs (~18 ms each): the bulk queue, out of the way of short tasks.
        transaction.on_commit(lambda: build_notice_batch.apply_async(args=[batch.pk], queue="bulk"))
    return batch


def notice_batch_build(*, batch_id: int) -> NoticeBatch:
    """The Celery task's work: render the notices into a zip in private storage, recording progress."""
    batch = NoticeBatch.objects.select_related("requested_by").get(pk=batch_id)
    if batch.state == BatchState.DONE:
        return batch  # a redelivered task: already built
    NoticeBatch.objects.filter(pk=batch.pk).update(state=BatchState.RUNNING, done=0)
    records = _records_of_batch(batch)

    written = 0

    def progress(n):
        nonlocal written
        written = n
        if n % NOTICE_BATCH_PROGRESS_EVERY == 0:
            NoticeBatch.objects.filter(pk=batch.pk).update(done=n)

    from .documents import repair_notices_zip

    try:
        with tempfile.TemporaryFile() as tmp:
            repair_notices_zip(records=records.iterator(chunk_size=200), fileobj=tmp, progress=progress)
            tmp.seek(0)
            batch.file.save("notices.zip", File(tmp), save=False)
    except Exception:  # the failure is shown on the batch page (the exception text only in the log)
        logger.exception("notice batch %s failed", batch.pk)
        NoticeBatch.objects.filter(pk=batch.pk).update(
            state=BatchState.FAILED, error=NOTICE_BATCH_FAILED, finished_at=timezone.now()
        )
        batch.refresh_from_db()
        return batch
    batch.state, batch.done, batch.total, batch.finished_at = BatchState.DONE, written, written, timezone.now()
    batch.save(update_fields=["file", "state", "done", "total", "finished_at"])
    notification_send(
        users=[batch.requested_by], title=f"信用修复告知书已生成（{written} 份），可以下载",
        url=reverse("repair:notice_batch", args=[batch.pk]),
    )  # fmt: skip
    return batch

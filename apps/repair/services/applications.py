"""Credit repair applications (DOMAIN.md §6): keyword-only ``repair_application_<verb>`` actions.

submitted → accepted (department review) or refused → department verification
→ credit-center decision → approved or rejected; the applicant may withdraw,
and supply materials when asked (the case then returns to the step that asked).
The states and transitions are ``workflow.REPAIR_FLOW``; who may act is ``permissions``.
Every action validates, writes the state and one history row in a transaction,
and notifies by ``transaction.on_commit``-queued e-mail. Each staff step has a
working-day deadline from policy.

Approval sets ``Record.repaired``: the record leaves every public view and
stops counting for credit checks at once, because those read
``Record.objects.in_publicity`` / ``ListEntry.objects.active``, which exclude
repaired records. It stays in the back office with its history.
"""

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.audit.services import personal_data_access_record
from apps.catalog.choices import Role as CatalogRole
from apps.catalog.spec import TypeSpec
from apps.commitments.services import repair_commitment_publish
from apps.lists.models import ListEntry, ListType
from apps.lists.services import list_entry_remove
from apps.notifications.services import center_staff, department_reviewers, notification_send
from apps.records.choices import Action, Status
from apps.records.models import Record, RecordEvent
from apps.subjects.codes import check_id_number, check_uscc, mask_id_number, normalise_code
from apps.subjects.models import Subject
from apps.subjects.pii import id_number_hash

from ..choices import REPAIR_OPEN_STATES, MaterialKind, RepairAction, RepairState
from ..materials import material_check, material_store, materials_atomic
from ..models import RepairApplication
from ..permissions import (
    can_verify,
    is_center,
    may_request_supplement,
    require_applicant_or_center,
    require_center,
)
from ..policy import PolicyMissing, repair_allowed, repair_earliest, required_materials
from ..workflow import REPAIR_FLOW, actor_label

LIST_ENTRY_TYPE = "list_entry"


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
    entry = getattr(record, "list_entry", None)
    if entry is not None:
        return entry.list_type
    code = TypeSpec.load(record.record_type).field_code(CatalogRole.LIST_TYPE)
    return ListType.objects.filter(name=(record.data or {}).get(code)).first()


def application_url(application) -> str:
    return reverse("repair:detail", args=[application.pk])


def _notify_applicant(application, title, body):
    users = [application.applicant] if application.applicant_id else []
    emails = [application.contact_email] if application.contact_email and not users else []
    notification_send(users=users, emails=emails, title=title, body=body, url=application_url(application))


def _set_under_repair(record_id, value: bool):
    Record.objects.filter(pk=record_id).update(under_repair=value, updated_at=timezone.now())


ON_BEHALF_LOOKUP_REASON = "窗口代为录入信用修复申请：按身份证号码查找主体"


def on_behalf_subject_find(*, code: str, user, remote_addr: str | None = None) -> tuple[Subject | None, str, list[str]]:
    """Hall staff find the subject they enter an application for, by USCC or (a natural person) ID number.

    Returns ``(subject, display, problems)``: ``display`` is what the page may echo back — the code as typed
    for a USCC, the masked number for an ID number, nothing for anything that might be an ID number. A
    person found by ID number is a view of personal data: the lookup is logged (PersonalDataAccess).
    """
    if not is_center(user):
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
                record=record,
                department_id=record.department_id,
                subject=subject,
                applicant=applicant if getattr(applicant, "pk", None) else None,
                entered_by=entered_by if getattr(entered_by, "pk", None) else None,
                contact_name=contact_name.strip(),
                contact_phone=contact_phone.strip(),
                contact_email=contact_email.strip(),
                statement=statement.strip(),
                state=RepairState.SUBMITTED,
                step_started_on=on,
            )
            REPAIR_FLOW.start_step(application, today=on)
            application.save()
            application.number = f"XF{on:%Y}{application.pk:06d}"
            application.save(update_fields=["number"])
            REPAIR_FLOW.write(
                application,
                RepairAction.SUBMIT,
                to=RepairState.SUBMITTED,
                actor=entered_by or applicant,
                reason="窗口代为录入" if entered_by else "",
                opening=True,
            )
            for kind, file in checked:
                material_store(checked=file, kind=kind, user=entered_by or applicant, application=application)
            # The 信用修复承诺书 tells the signer it is recorded and published as a commitment: it is, in
            # this transaction (one per record's repair, reused when a filing is retried or filed again).
            repair_commitment_publish(record=record, subject=subject, on=on, signed_by=applicant, entered_by=entered_by)
            _set_under_repair(record.pk, True)
            created.append(application)
        numbers = "、".join(a.number for a in created)
        notification_send(
            users=center_staff(),
            title=f"新的信用修复申请待受理：{numbers}",
            body=f"{created[0].record.subject_name} 申请修复 {len(created)} 条信息，请在受理时限内受理。",
            url=application_url(created[0]),
        )
    return created


@transaction.atomic
def repair_application_accept(*, application, actor, note: str = "") -> RepairApplication:
    require_center(actor)
    application = REPAIR_FLOW.lock(application)
    today = timezone.localdate()
    REPAIR_FLOW.move(application, RepairAction.ACCEPT, actor=actor, reason=note)
    application.accepted_on = today
    REPAIR_FLOW.start_step(application, today=today, start=today)
    application.save()
    notification_send(
        users=department_reviewers(application.department),
        title=f"信用修复申请待核实：{application.number}",
        body=f"{application.record.subject_name} 的 {application.record.decision_number} 申请信用修复，"
        f"请于 {application.due_on:%Y-%m-%d} 前核实。",
        url=application_url(application),
    )
    _notify_applicant(application, f"您的信用修复申请已受理：{application.number}", "已转信息提供部门核实。")
    return application


def _close_without_repair(application, *, action, actor, reason: str = "", decided: bool = True) -> None:
    """Refused, rejected or withdrawn: the case ends, its clock stops and the record is no longer 修复中.

    ``decided``: the reason is the center's decision (a withdrawal's note stays in the history only).
    """
    REPAIR_FLOW.move(application, action, actor=actor, reason=reason)
    if decided:
        application.decision_reason = reason
    application.decided_at = timezone.now()
    REPAIR_FLOW.start_step(application, today=timezone.localdate())
    application.save()
    _set_under_repair(application.record_id, False)


@transaction.atomic
def repair_application_refuse(*, application, actor, reason: str) -> RepairApplication:
    """Refuse to accept. The 信用修复型 commitment made at filing stays published: the subject made it, and
    refusing the application does not unmake a statement already public (apps.commitments.services)."""
    require_center(actor)
    if not reason.strip():
        raise ValidationError("不予受理必须说明理由。")
    application = REPAIR_FLOW.lock(application)
    _close_without_repair(application, action=RepairAction.REFUSE, actor=actor, reason=reason)
    _notify_applicant(application, f"您的信用修复申请不予受理：{application.number}", f"理由：{reason}")
    return application


@transaction.atomic
def repair_application_verify(*, application, actor, agrees: bool, opinion: str) -> RepairApplication:
    """The providing department's verification: its opinion goes to the credit center for the decision."""
    application = REPAIR_FLOW.lock(application)
    if not can_verify(actor, application):
        raise PermissionDenied("只有该信息提供部门的审核员可以核实。")
    REPAIR_FLOW.check(application, RepairAction.VERIFY)
    if not opinion.strip():
        raise ValidationError("请填写核实意见。")
    verdict = "同意修复" if agrees else "不同意修复"
    REPAIR_FLOW.move(
        application,
        RepairAction.VERIFY,
        actor=actor,
        reason=f"{verdict}：{opinion}",
    )
    application.department_agrees, application.department_opinion = agrees, opinion
    REPAIR_FLOW.start_step(application, today=timezone.localdate(), start=application.accepted_on)
    application.save()
    notification_send(
        users=center_staff(),
        title=f"信用修复申请待决定：{application.number}",
        body=f"{application.department.name}核实意见：{verdict}。",
        url=application_url(application),
    )
    return application


@transaction.atomic
def repair_application_request_supplement(*, application, actor, request: str) -> RepairApplication:
    application = REPAIR_FLOW.lock(application)
    if not may_request_supplement(actor, application):
        REPAIR_FLOW.check(application, RepairAction.REQUEST_SUPPLEMENT)
        raise PermissionDenied("您不能在本环节要求补充材料。")
    if not request.strip():
        raise ValidationError("请写明需要补充的材料。")
    application.resume_state = application.state
    REPAIR_FLOW.move(application, RepairAction.REQUEST_SUPPLEMENT, actor=actor, reason=request)
    application.supplement_request = request
    REPAIR_FLOW.start_step(application, today=timezone.localdate())
    application.save()
    _notify_applicant(application, f"请补充信用修复材料：{application.number}", request)
    return application


def repair_application_supplement(*, application, actor, materials: list[tuple[str, object]], note: str = ""):
    """The applicant supplies what was asked; the case returns to the step that asked, its clock restarted."""
    require_applicant_or_center(actor, application)
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
        application = REPAIR_FLOW.lock(application)
        REPAIR_FLOW.check(application, RepairAction.SUPPLEMENT)
        for kind, file in checked:
            material_store(checked=file, kind=kind, user=actor, application=application)
        back = application.resume_state or RepairState.SUBMITTED
        REPAIR_FLOW.move(application, RepairAction.SUPPLEMENT, to=back, actor=actor, reason=note)
        today = timezone.localdate()
        REPAIR_FLOW.start_step(application, today=today, start=today)
        application.resume_state, application.supplement_request = "", ""
        application.save()
        who = department_reviewers(application.department) if back == RepairState.DEPARTMENT_REVIEW else center_staff()
        notification_send(users=who, title=f"申请人已补充材料：{application.number}", url=application_url(application))
    return application


def _list_entry_leave(record, *, actor, reason: str) -> None:
    """A repaired list entry leaves its list, so it never reads 在列 while it no longer counts."""
    entry = ListEntry.objects.filter(record_id=record.pk, state="listed").first()
    if entry is not None:
        list_entry_remove(entry=entry, actor=actor, reason=reason)


@transaction.atomic
def repair_application_approve(*, application, reviewer, reason: str = "") -> RepairApplication:
    """准予修复: the record stops being public and stops triggering measures, everywhere, now."""
    require_center(reviewer)
    application = REPAIR_FLOW.lock(application)
    REPAIR_FLOW.move(application, RepairAction.APPROVE, actor=reviewer, reason=reason)
    application.decision_reason, application.decided_at = reason, timezone.now()
    REPAIR_FLOW.start_step(application, today=timezone.localdate())
    application.save()
    record = Record.objects.select_for_update().get(pk=application.record_id)
    record.repaired, record.under_repair = True, False
    record.save(update_fields=["repaired", "under_repair", "updated_at"])
    _list_entry_leave(record, actor=reviewer, reason=f"信用修复（{application.number}）准予修复")
    RecordEvent.objects.create(
        record=record,
        action=Action.UPDATE,
        actor=reviewer,
        actor_label=actor_label(reviewer),
        reason=f"信用修复（{application.number}）准予修复：停止公示，不再作为联合惩戒依据（平台内保留）。{reason}".strip(),
        before={"repaired": False},
        after={"repaired": True},
    )
    _notify_applicant(
        application,
        f"信用修复已完成：{application.number}",
        f"{record.record_type.name} {record.decision_number} 已准予修复，自即日起停止公示。{reason}".strip(),
    )
    notification_send(
        users=department_reviewers(application.department),
        title=f"信用修复准予修复：{application.number}",
        body=f"{record.decision_number} 已停止公示。",
        url=application_url(application),
    )
    return application


@transaction.atomic
def repair_application_reject(*, application, reviewer, reason: str) -> RepairApplication:
    require_center(reviewer)
    if not reason.strip():
        raise ValidationError("不予修复必须说明理由。")
    application = REPAIR_FLOW.lock(application)
    REPAIR_FLOW.check(application, RepairAction.REJECT)
    _close_without_repair(application, action=RepairAction.REJECT, actor=reviewer, reason=reason)
    _notify_applicant(application, f"信用修复申请不予修复：{application.number}", f"理由：{reason}")
    return application


@transaction.atomic
def repair_application_withdraw(*, application, actor, reason: str = "") -> RepairApplication:
    require_applicant_or_center(actor, application)
    application = REPAIR_FLOW.lock(application)
    REPAIR_FLOW.check(application, RepairAction.WITHDRAW)
    _close_without_repair(application, action=RepairAction.WITHDRAW, actor=actor, reason=reason, decided=False)
    notification_send(
        users=center_staff(), title=f"信用修复申请已撤回：{application.number}", url=application_url(application)
    )
    return application

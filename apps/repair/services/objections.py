"""Objections to a record (DOMAIN.md §7): ``objection_<verb>`` actions on ``workflow.OBJECTION_FLOW``.

Anyone concerned files one (a public filer gets a number and a one-time lookup code); the credit center
accepts or refuses it; the providing department verifies it and closes it by correcting, revoking or
upholding the record. The record shows 异议处理中 while an objection about it is open.
"""

import datetime
import hashlib
import hmac
import secrets
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.catalog.choices import Role as CatalogRole
from apps.catalog.spec import TypeSpec
from apps.lists.models import ListEntry
from apps.lists.services import list_entry_remove
from apps.notifications.services import center_staff, department_reviewers, notification_send
from apps.records.choices import Status
from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.workflow import record_revoke
from apps.subjects.codes import check_id_number, mask_id_number
from apps.subjects.pii import decrypt

from ..choices import OBJECTION_OPEN_STATES, MaterialKind, ObjectionAction, ObjectionOutcome, ObjectionState
from ..materials import material_check, material_store, materials_atomic
from ..models import Objection
from ..permissions import can_verify_objection, is_center, is_filer, require_center
from ..workflow import OBJECTION_FLOW


def objection_url(objection) -> str:
    return reverse("repair:objection_detail", args=[objection.pk])


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
            number=f"t{uuid.uuid4().hex[:16]}",
            record=record,
            department_id=record.department_id,
            filer=filer if getattr(filer, "pk", None) else None,
            contact_name=contact_name.strip(),
            contact_phone=contact_phone.strip(),
            contact_email=(contact_email or "").strip(),
            contact_id_masked=masked,
            relation=relation.strip(),
            grounds=grounds.strip(),
            requested_change=(requested_change or "").strip(),
            state=ObjectionState.SUBMITTED,
            step_started_on=on,
        )
        OBJECTION_FLOW.start_step(objection, today=on)
        objection.save()
        objection.number = f"YY{on:%Y}{objection.pk:06d}"
        if objection.filer is None:
            objection.lookup_code = lookup_code_new()  # shown once, on the page that confirms the filing
            objection.lookup_code_hash = _code_hash(objection.lookup_code)
        objection.save(update_fields=["number", "lookup_code_hash"])
        OBJECTION_FLOW.write(
            objection,
            ObjectionAction.SUBMIT,
            to=ObjectionState.SUBMITTED,
            actor=objection.filer,
            label=None if objection.filer else f"公众：{objection.contact_name}",
            opening=True,
        )
        if checked is not None:
            material_store(checked=checked, kind=MaterialKind.EVIDENCE, user=filer, objection=objection)
        _sync_under_objection(record.pk)
        notification_send(
            users=center_staff(),
            title=f"新的异议申请待受理：{objection.number}",
            body=f"{record.subject_name} {record.decision_number}",
            url=objection_url(objection),
        )
    return objection


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


@transaction.atomic
def objection_accept(*, objection, actor, note: str = "") -> Objection:
    require_center(actor)
    objection = OBJECTION_FLOW.lock(objection)
    today = timezone.localdate()
    OBJECTION_FLOW.move(objection, ObjectionAction.ACCEPT, actor=actor, reason=note)
    objection.accepted_on = today
    OBJECTION_FLOW.start_step(objection, today=today)
    objection.save()
    notification_send(
        users=department_reviewers(objection.department),
        title=f"异议申请待核实：{objection.number}",
        body=f"{objection.record.decision_number}，请于 {objection.due_on:%Y-%m-%d} 前核实并答复。",
        url=objection_url(objection),
    )
    return objection


@transaction.atomic
def objection_refuse(*, objection, actor, reply: str) -> Objection:
    require_center(actor)
    if not reply.strip():
        raise ValidationError("不予受理必须答复理由。")
    objection = OBJECTION_FLOW.lock(objection)
    OBJECTION_FLOW.move(objection, ObjectionAction.REFUSE, actor=actor, reason=reply)
    objection.reply, objection.decided_at = reply, timezone.now()
    OBJECTION_FLOW.start_step(objection, today=timezone.localdate())
    objection.save()
    _sync_under_objection(objection.record_id)
    _notify_filer(objection, f"异议申请不予受理：{objection.number}", f"答复：{reply}")
    return objection


def _close(objection, *, outcome, action, actor, reply):
    OBJECTION_FLOW.move(objection, action, actor=actor, reason=reply)
    objection.outcome, objection.reply, objection.decided_at = outcome, reply, timezone.now()
    OBJECTION_FLOW.start_step(objection, today=timezone.localdate())
    objection.save()
    _sync_under_objection(objection.record_id)
    _notify_filer(objection, f"异议处理结果（{ObjectionOutcome(outcome).label}）：{objection.number}", f"答复：{reply}")
    return objection


def _check_close(objection, actor, reply):
    if not can_verify_objection(actor, objection):
        raise PermissionDenied("只有该信息提供部门的审核员可以核实异议。")
    OBJECTION_FLOW.require(objection, ObjectionState.VERIFYING)  # every way of closing starts there
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
    objection = OBJECTION_FLOW.lock(objection)
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
        record_type=spec,
        department=record.department,
        rows=[(None, row)],
        actor=actor,
        reason=f"异议更正（{objection.number}）：{reply}",
        # A severity the department stated outside the row (before the column existed) is kept;
        # a derived one is derived again from the corrected row.
        severity=record.severity if record.severity_source != "derived" else None,
        submit=record.status != Status.DRAFT,
    )
    outcome = summary.outcomes[0]
    if outcome.outcome == "rejected":
        raise ValidationError([f"更正后的信息未通过校验：{p}" for p in outcome.problems])
    return _close(
        objection, outcome=ObjectionOutcome.CORRECTED, action=ObjectionAction.CORRECT, actor=actor, reply=reply
    )


@transaction.atomic
def objection_revoke(*, objection, actor, reply: str) -> Objection:
    """撤销: the record was wrong; it is revoked, and a wrong list entry is removed so its measures stop."""
    objection = OBJECTION_FLOW.lock(objection)
    _check_close(objection, actor, reply)
    reason = f"异议核实（{objection.number}）：{reply}"
    entry = ListEntry.objects.filter(record_id=objection.record_id, state="listed").first()
    if entry is not None:
        list_entry_remove(entry=entry, actor=actor, reason=reason)
    record_revoke(record=objection.record, actor=actor, reason=reason)
    return _close(objection, outcome=ObjectionOutcome.REVOKED, action=ObjectionAction.REVOKE, actor=actor, reply=reply)


@transaction.atomic
def objection_uphold(*, objection, actor, reply: str) -> Objection:
    objection = OBJECTION_FLOW.lock(objection)
    _check_close(objection, actor, reply)
    return _close(objection, outcome=ObjectionOutcome.UPHELD, action=ObjectionAction.UPHOLD, actor=actor, reply=reply)


@transaction.atomic
def objection_withdraw(*, objection, actor, reason: str = "") -> Objection:
    objection = OBJECTION_FLOW.lock(objection)
    if not (is_filer(actor, objection) or is_center(actor)):
        raise PermissionDenied("只有异议申请人可以撤回。")
    OBJECTION_FLOW.check(objection, ObjectionAction.WITHDRAW)
    OBJECTION_FLOW.move(objection, ObjectionAction.WITHDRAW, actor=actor, reason=reason)
    objection.decided_at = timezone.now()
    OBJECTION_FLOW.start_step(objection, today=timezone.localdate())
    objection.save()
    _sync_under_objection(objection.record_id)
    return objection

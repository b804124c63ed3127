"""What goes to the city/provincial platform for a period: records, repair outcomes, objection outcomes.

One reader serves the download (masked or 政务共享) and the push, so the file a clerk checks and the batch
the upstream receives can never disagree. Identifiers: a person's ID number is masked unless ``full`` is
asked for (政务共享: natural persons cannot be matched upstream from masked numbers); then the number is
decrypted from the subject (``apps.subjects.pii``) and the subject is listed in ``revealed`` so the caller
logs the access before anything leaves. A record not linked to a subject (e.g. a passport number) stays
masked: without a subject there is no access log row to write, so its number is not revealed. Record
field data (``data``) is always as stored (masked); the subject's own identifier is what matching needs.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.records.choices import Status
from apps.records.models import Record
from apps.repair.choices import ObjectionOutcome, ObjectionState, RepairState
from apps.repair.models import Objection, RepairApplication
from apps.subjects.choices import SubjectKind
from apps.subjects.masking import mask_personal_numbers
from apps.subjects.pii import decrypt

from .models import OutboxBatch

# Reported records, whether still publicised or not, and revoked ones: the upstream must learn of a
# revocation (an objection's 撤销) as surely as of the record itself.
EXCHANGE_STATUSES = (Status.PUBLISHED, Status.EXPIRED, Status.REVOKED)
REPAIR_DECIDED = (RepairState.APPROVED, RepairState.REJECTED, RepairState.REFUSED)
OBJECTION_DECIDED = (ObjectionState.CLOSED, ObjectionState.REFUSED)
_STATUS_LABELS = dict(Status.choices)
_REPAIR_LABELS = dict(RepairState.choices)
_OBJECTION_LABELS = {ObjectionState.REFUSED.value: "不予受理", **dict(ObjectionOutcome.choices)}


@dataclass
class ExchangeData:
    records: list[dict] = field(default_factory=list)
    repairs: list[dict] = field(default_factory=list)
    objections: list[dict] = field(default_factory=list)
    revealed: set[int] = field(default_factory=set)  # subjects whose full ID number is included

    @property
    def total(self) -> int:
        return len(self.records) + len(self.repairs) + len(self.objections)

    def as_payload(self) -> dict:
        return {"records": self.records, "repairs": self.repairs, "objections": self.objections}


def _local(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _subject_code(record: Record, full: bool, revealed: set[int]) -> tuple[str, bool]:
    subject = record.subject
    if full and subject is not None and subject.kind == SubjectKind.PERSON and subject.id_number_encrypted:
        revealed.add(subject.pk)
        return decrypt(subject.id_number_encrypted), True
    return record.subject_code, False


def _case_fields(case, full: bool, revealed: set[int]) -> dict:
    record = case.record
    code, is_full = _subject_code(record, full, revealed)
    return {
        "number": case.number,
        "record_id": record.pk,
        "record_type": record.record_type.code,
        "decision_number": record.decision_number,
        "subject_name": mask_personal_numbers(record.subject_name),
        "subject_code": code,
        "subject_code_full": is_full,
        "department": case.department.name,
        "decided_at": _local(case.decided_at),
    }


def _scoped(qs, department):
    return qs.filter(department=department) if department is not None else qs


def exchange_data(
    *, date_from: datetime.date, date_to: datetime.date, department=None, full: bool = False
) -> ExchangeData:
    """Records reported in the period, and repair / objection cases decided in it (local dates, inclusive).

    ``department=None``: every department (the credit center). Raises ``ValidationError`` past
    ``EXCHANGE_MAX_ROWS`` rows, so no request or batch builds an unbounded file in memory.
    """
    if date_from > date_to:
        raise ValidationError("截止日期不能早于起始日期。")
    limit = settings.EXCHANGE_MAX_ROWS
    records = (
        _scoped(Record.objects, department)
        .filter(status__in=EXCHANGE_STATUSES, reported_at__date__gte=date_from, reported_at__date__lte=date_to)
        .select_related("record_type", "department", "subject")
        .defer("private_data")
        .order_by("reported_at", "pk")
    )
    repairs = (
        _scoped(RepairApplication.objects, department)
        .filter(state__in=REPAIR_DECIDED, decided_at__date__gte=date_from, decided_at__date__lte=date_to)
        .select_related("record__record_type", "record__subject", "department")
        .defer("record__private_data")
        .order_by("decided_at", "pk")
    )
    objections = (
        _scoped(Objection.objects, department)
        .filter(state__in=OBJECTION_DECIDED, decided_at__date__gte=date_from, decided_at__date__lte=date_to)
        .select_related("record__record_type", "record__subject", "department")
        .defer("record__private_data")
        .order_by("decided_at", "pk")
    )
    counted = records.count() + repairs.count() + objections.count()
    if counted > limit:
        raise ValidationError(f"该期间共 {counted:,} 条，超过单次 {limit:,} 条的上限，请缩短期间后分批导出或推送。")

    data = ExchangeData()
    for record in records:
        code, is_full = _subject_code(record, full, data.revealed)
        data.records.append(
            {
                "record_id": record.pk,
                "record_type": record.record_type.code,
                "record_type_name": record.record_type.name,
                "department": record.department.name,
                "department_code": record.department.uscc,
                "decision_number": record.decision_number,
                "decision_date": _iso(record.decision_date),
                "subject_name": mask_personal_numbers(record.subject_name),
                "subject_kind": record.subject_kind,
                "subject_code": code,
                "subject_code_full": is_full,
                "status": record.status,
                "status_display": _STATUS_LABELS.get(record.status, record.status),
                "repaired": record.repaired,
                "under_repair": record.under_repair,
                "under_objection": record.under_objection,
                "reported_at": _local(record.reported_at),
                "publicity_end": _iso(record.publicity_end),
                "data": record.data,
            }
        )
    for case in repairs:
        data.repairs.append(
            _case_fields(case, full, data.revealed)
            | {
                "outcome": case.state,
                "outcome_display": _REPAIR_LABELS.get(case.state, case.state),
                "reason": mask_personal_numbers(case.decision_reason),
            }
        )
    for case in objections:
        outcome = case.outcome or case.state  # 不予受理 has no outcome of its own
        data.objections.append(
            _case_fields(case, full, data.revealed)
            | {
                "outcome": outcome,
                "outcome_display": _OBJECTION_LABELS.get(outcome, outcome),
                "reply": mask_personal_numbers(case.reply),
            }
        )
    return data


def outbox_batches():
    return OutboxBatch.objects.select_related("created_by").defer("payload_encrypted")

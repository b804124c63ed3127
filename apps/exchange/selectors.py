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
CHUNK = 2000
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


def _subject_code(row: dict, prefix: str, full: bool, revealed: set[int]) -> tuple[str, bool]:
    """The subject's code as exported: the full ID number of a linked person when ``full``, else the public form."""
    token = row.get(f"{prefix}subject__id_number_encrypted") if full else None
    if token and row[f"{prefix}subject__kind"] == SubjectKind.PERSON:
        revealed.add(row[f"{prefix}subject_id"])
        return decrypt(token), True
    return row[f"{prefix}subject_code"], False


def _subject_columns(prefix: str, full: bool) -> list[str]:
    columns = [f"{prefix}subject_id", f"{prefix}subject__kind", f"{prefix}subject_code"]
    return [*columns, f"{prefix}subject__id_number_encrypted"] if full else columns


_CASE_COLUMNS = (
    "number",
    "record_id",
    "record__record_type__code",
    "record__decision_number",
    "record__subject_name",
    "department__name",
    "decided_at",
)


def _case_fields(row: dict, full: bool, revealed: set[int]) -> dict:
    code, is_full = _subject_code(row, "record__", full, revealed)
    return {
        "number": row["number"],
        "record_id": row["record_id"],
        "record_type": row["record__record_type__code"],
        "decision_number": row["record__decision_number"],
        "subject_name": mask_personal_numbers(row["record__subject_name"]),
        "subject_code": code,
        "subject_code_full": is_full,
        "department": row["department__name"],
        "decided_at": _local(row["decided_at"]),
    }


def _scoped(qs, department):
    return qs.filter(department=department) if department is not None else qs


def _querysets(*, date_from: datetime.date, date_to: datetime.date, department=None):
    if date_from > date_to:
        raise ValidationError("截止日期不能早于起始日期。")
    records = (
        _scoped(Record.objects, department)
        .filter(status__in=EXCHANGE_STATUSES, reported_at__date__gte=date_from, reported_at__date__lte=date_to)
        .order_by("reported_at", "pk")
    )
    repairs = (
        _scoped(RepairApplication.objects, department)
        .filter(state__in=REPAIR_DECIDED, decided_at__date__gte=date_from, decided_at__date__lte=date_to)
        .order_by("decided_at", "pk")
    )
    objections = (
        _scoped(Objection.objects, department)
        .filter(state__in=OBJECTION_DECIDED, decided_at__date__gte=date_from, decided_at__date__lte=date_to)
        .order_by("decided_at", "pk")
    )
    return records, repairs, objections


def exchange_count(*, date_from: datetime.date, date_to: datetime.date, department=None) -> int:
    """How many rows ``exchange_data`` would give (three counts): the push checks it before queueing."""
    return sum(qs.count() for qs in _querysets(date_from=date_from, date_to=date_to, department=department))


def exchange_data(
    *, date_from: datetime.date, date_to: datetime.date, department=None, full: bool = False
) -> ExchangeData:
    """Records reported in the period, and repair / objection cases decided in it (local dates, inclusive).

    ``department=None``: every department (the credit center). Raises ``ValidationError`` past
    ``EXCHANGE_MAX_ROWS`` rows, so no request or batch builds an unbounded file in memory. Rows are read
    as values, never model instances (2–3× faster at 5,000 rows: bench/exchange_bench.py), and a person's
    encrypted number is selected only when ``full`` is asked for.
    """
    records, repairs, objections = _querysets(date_from=date_from, date_to=date_to, department=department)
    counted = records.count() + repairs.count() + objections.count()
    limit = settings.EXCHANGE_MAX_ROWS
    if counted > limit:
        raise ValidationError(f"该期间共 {counted:,} 条，超过单次 {limit:,} 条的上限，请缩短期间后分批导出或推送。")

    data = ExchangeData()
    record_rows = records.values(
        "pk",
        "record_type__code",
        "record_type__name",
        "department__name",
        "department__uscc",
        "decision_number",
        "decision_date",
        "subject_name",
        "subject_kind",
        "status",
        "repaired",
        "under_repair",
        "under_objection",
        "reported_at",
        "publicity_end",
        "data",
        *_subject_columns("", full),
    )
    for row in record_rows.iterator(chunk_size=CHUNK):
        code, is_full = _subject_code(row, "", full, data.revealed)
        data.records.append(
            {
                "record_id": row["pk"],
                "record_type": row["record_type__code"],
                "record_type_name": row["record_type__name"],
                "department": row["department__name"],
                "department_code": row["department__uscc"],
                "decision_number": row["decision_number"],
                "decision_date": _iso(row["decision_date"]),
                "subject_name": mask_personal_numbers(row["subject_name"]),
                "subject_kind": row["subject_kind"],
                "subject_code": code,
                "subject_code_full": is_full,
                "status": row["status"],
                "status_display": _STATUS_LABELS.get(row["status"], row["status"]),
                "repaired": row["repaired"],
                "under_repair": row["under_repair"],
                "under_objection": row["under_objection"],
                "reported_at": _local(row["reported_at"]),
                "publicity_end": _iso(row["publicity_end"]),
                "data": row["data"],
            }
        )
    case_columns = (*_CASE_COLUMNS, *_subject_columns("record__", full))
    for row in repairs.values(*case_columns, "state", "decision_reason").iterator(chunk_size=CHUNK):
        data.repairs.append(
            _case_fields(row, full, data.revealed)
            | {
                "outcome": row["state"],
                "outcome_display": _REPAIR_LABELS.get(row["state"], row["state"]),
                "reason": mask_personal_numbers(row["decision_reason"]),
            }
        )
    for row in objections.values(*case_columns, "state", "outcome", "reply").iterator(chunk_size=CHUNK):
        outcome = row["outcome"] or row["state"]  # 不予受理 has no outcome of its own
        data.objections.append(
            _case_fields(row, full, data.revealed)
            | {
                "outcome": outcome,
                "outcome_display": _OBJECTION_LABELS.get(outcome, outcome),
                "reply": mask_personal_numbers(row["reply"]),
            }
        )
    return data


def outbox_batches():
    return OutboxBatch.objects.select_related("created_by").defer("payload_encrypted")

"""Building a record from one validated intake row: severity, deadline, publicity, masked ID numbers.

The lower layer of the intake pipeline (``services.Ingest`` runs it batch by batch and writes what it
builds); reads policy rows and the working-day calendar, writes nothing.
"""

import datetime
import hashlib
import json
from decimal import Decimal

from django.utils import timezone

from apps.catalog.choices import FieldType, PolicyKey, Role
from apps.catalog.rules import INTAKE, Context
from apps.catalog.spec import PERSON_KIND, Problem, TypeSpec
from apps.subjects.codes import mask_id_number
from apps.subjects.pii import encrypt, id_number_hash
from apps.workdays.services import DeadlineTable

from .choices import SEVERITY_BY_WORD, Action, Severity, SeveritySource, Status
from .models import Record, RecordEvent
from .policy import PolicyCache, publicity_for
from .workflow import intake_status, timely_on

# The fields a correction rewrites on the record already on file (``Ingest._batch``).
UPDATABLE = [
    "catalog_version",
    "data",
    "private_data",
    "subject",
    "subject_name",
    "subject_kind",
    "subject_code",
    "decision_date",
    "valid_to",
    "severity",
    "severity_source",
    "status",
    "report_deadline",
    "deadline_calendar",
    "is_publicised",
    "publicity_min_end",
    "publicity_end",
    "content_hash",
]


def _jsonable(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _content_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class RecordBuilder:
    """What one valid row of an intake run becomes: its severity, deadline, publicity and ``Record``.

    The run's settings (department, record type, source, actor, day) and the catalog fields it reads;
    ``services.Ingest`` adds the batches, the subjects' registration and the writes.
    """

    def __init__(
        self,
        *,
        record_type,
        department,
        source: str,
        actor=None,
        actor_label="",
        upload=None,
        today=None,
        submit=True,
        reason="",
    ):
        self.spec = record_type if isinstance(record_type, TypeSpec) else TypeSpec.load(record_type)
        self.record_type = self.spec.record_type
        self.department = department
        self.source = source
        self.actor = actor if getattr(actor, "pk", None) else None
        self.actor_label = actor_label or (str(actor) if actor else "")
        self.upload = upload
        self.submit = submit
        self.reason = reason
        self.today = today or timezone.localdate()
        self.policies = PolicyCache(self.record_type)
        # Decisions from long ago still get a deadline; the table spans what a
        # realistic file holds and falls back to the exact walk outside it.
        self.deadlines = DeadlineTable(
            first=self.today - datetime.timedelta(days=3 * 366), last=self.today + datetime.timedelta(days=60)
        )
        code = self.spec.field_code
        self.f_name, self.f_kind = code(Role.SUBJECT_NAME), code(Role.SUBJECT_KIND)
        self.f_uscc, self.f_person_id = code(Role.SUBJECT_USCC), code(Role.PERSON_ID)
        self.f_number, self.f_date = code(Role.DECISION_NUMBER), code(Role.DECISION_DATE)
        self.f_valid_to, self.f_legal_rep = code(Role.VALID_TO), code(Role.LEGAL_REP)
        self.f_kinds, self.f_fine, self.f_end = (
            code(Role.PENALTY_KINDS),
            code(Role.FINE_AMOUNT),
            code(Role.PUBLICITY_END),
        )
        self.f_source_uscc = code(Role.SOURCE_USCC)
        self.f_severity = code(Role.SEVERITY)
        self.id_fields = [f.code for f in self.spec.fields if f.field_type == FieldType.ID_NUMBER]
        # The type's rules that need the reporting department (apps.catalog.rules: 数据来源单位 is the
        # department itself, a list entry's recogniser…), run after the catalog's own in TypeSpec.validate.
        self.rule_context = Context(today=self.today, department=department)
        self.intake_rules = [rule for rule in self.spec.rules if rule.stage == INTAKE]

    def resolve_severity(self, *, stated, penalty_kinds, decision_date, fallback=None) -> tuple[str, str]:
        """(severity, severity_source) of one row: as the department stated it, else by the rule table.

        The rules are policy rows in force on the decision date (``severity_minor_penalty_kinds``,
        ``severity_default``); a type without a severity column keeps the caller's value.
        """
        if self.f_severity is None:
            # A type without the column (a 违诺 breach): the caller's value is the one staff stated.
            return (fallback, SeveritySource.STATED) if fallback else (Severity.GENERAL, "")
        if stated in SEVERITY_BY_WORD:
            return SEVERITY_BY_WORD[stated], SeveritySource.STATED
        if fallback:
            return fallback, SeveritySource.STATED
        minor_kinds = self.policies.get(PolicyKey.SEVERITY_MINOR_PENALTY_KINDS, decision_date, default=None)
        if minor_kinds and penalty_kinds and set(penalty_kinds) <= set(minor_kinds):
            return Severity.MINOR, SeveritySource.DERIVED
        default = self.policies.get(PolicyKey.SEVERITY_DEFAULT, decision_date, default=Severity.GENERAL)
        return (default if default in Severity.values else Severity.GENERAL), SeveritySource.DERIVED

    def _raw_for_fixing(self, raw) -> dict:
        """The row as sent, JSON-ready, with ID numbers masked (the clerk re-enters them when fixing)."""
        kept = {k: v if isinstance(v, str) else _jsonable(v) for k, v in raw.items() if k not in self.id_fields}
        return kept | {k: mask_id_number(str(raw[k])) for k in self.id_fields if raw.get(k)}

    def _event(self, record, action, before, after):
        return RecordEvent(
            record=record,
            action=action,
            actor=self.actor,
            actor_label=self.actor_label,
            reason=self.reason if action == Action.CORRECT else "",
            before=before,
            after=after,
        )

    def _copy_into(self, old: Record, new: Record):
        for name in UPDATABLE:
            setattr(old, name, getattr(new, name))

    def _build(self, result, subjects, severity, now) -> Record:
        values = result.values
        decision_date = values[self.f_date]
        data = {code: _jsonable(value) for code, value in values.items()}
        private = {}
        for code in self.id_fields:
            if values.get(code):
                private[code] = encrypt(values[code])
                data[code] = mask_id_number(values[code])
        deadline = self.deadlines.add(
            start=decision_date, days=self.policies.get("report_deadline_days", decision_date)
        )
        penalty_kinds = values.get(self.f_kinds) if self.f_kinds else None
        severity, severity_source = self.resolve_severity(
            stated=values.get(self.f_severity) if self.f_severity else None,
            penalty_kinds=penalty_kinds,
            decision_date=decision_date,
            fallback=severity,
        )
        publicity = publicity_for(
            policies=self.policies,
            decision_date=decision_date,
            severity=severity,
            penalty_kinds=penalty_kinds,
            fine=values.get(self.f_fine) if self.f_fine else None,
            declared_end=values.get(self.f_end) if self.f_end else None,
        )
        if publicity.warning:
            result.warnings.append(Problem(self.f_end, self.spec.by_code[self.f_end].label, publicity.warning))
        subject = subjects.get(self._subject_key(values))
        status, reported_at = (
            intake_status(department=self.department, submit=self.submit),
            now if self.submit else None,
        )
        published_at = now if status == Status.PUBLISHED else None
        published_on = timezone.localtime(now).date() if published_at and publicity.is_publicised else None
        return Record(
            record_type=self.record_type,
            catalog_version=self.record_type.version,
            department=self.department,
            data=data,
            private_data=private,
            subject=subject,
            subject_name=values[self.f_name],
            subject_kind=values[self.f_kind],
            subject_code=(subject.public_code if subject else values.get(self.f_uscc, "")) or "",
            decision_number=values[self.f_number],
            decision_date=decision_date,
            valid_to=values.get(self.f_valid_to) if self.f_valid_to else None,
            severity=severity,
            severity_source=severity_source,
            status=status,
            report_deadline=deadline.deadline,
            deadline_calendar=deadline.calendar,
            reported_at=reported_at,
            published_at=published_at,
            timely=timely_on(published_at, deadline.deadline),
            is_publicised=publicity.is_publicised,
            publicity_start=published_on,
            publicity_min_end=publicity.min_end,
            publicity_end=publicity.end,
            source=self.source,
            upload=self.upload,
            content_hash=_content_hash(data),
            created_by=self.actor,
            created_by_label=self.actor_label[:100],
        )

    def _subject_key(self, values):
        if values.get(self.f_kind) == PERSON_KIND:
            number = values.get(self.f_person_id) if self.f_person_id else None
            return ("id", id_number_hash(number)) if number else None
        uscc = values.get(self.f_uscc) if self.f_uscc else None
        return ("uscc", uscc) if uscc else None

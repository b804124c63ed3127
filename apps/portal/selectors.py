"""Reads of the public portal: the subject's public credit profile (the search is in ``search.py``).

Nothing here decides what is public: records come from
``apps.records.selectors.public_records`` and list entries from
``apps.lists.selectors.public_entries``, so repair, objection, revocation and
the end of a publicity window take effect here exactly as on the 双公示 and
list pages. Identity is shown in its public form only (USCC, or the masked ID
number of a natural person); no query here loads ``id_number_encrypted`` or a
record's ``private_data``. The dataclasses built here are public read models:
names, document numbers and summaries are masked as they are built
(``mask_personal_numbers``), so the profile page and the credit report (which
snapshots them) show the same masked text.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from apps.accounts.models import Department
from apps.catalog.models import RecordType
from apps.commitments.selectors import public_commitments
from apps.evaluation.selectors import grade_and_label
from apps.lists.selectors import PublicEntry, public_code, subject_public_entries
from apps.records.models import Record
from apps.records.selectors import cached_public_field_specs, public_records, public_value
from apps.repair.selectors import approved_repairs
from apps.subjects.choices import LEGACY_CODE_FIELDS, OperatingStatus, SubjectKind
from apps.subjects.codes import region_name
from apps.subjects.masking import mask_personal_numbers
from apps.subjects.models import Subject
from credit_portal.policy_cache import policy_cache
from credit_portal.prepared import PreparedQuery

PENALTY_TYPE = "penalty"
# Fields shown as the one-line content of a record on the profile and in the report.
SUMMARY_CODES = ("CF_CFLB", "CF_NR", "CF_WFXW", "XK_XKLB", "XK_NR", "XK_XKZS")
SUBJECT_PUBLIC_FIELDS = (
    "pk",
    "kind",
    "name",
    "uscc",
    "code_valid",
    "registration_number",
    "organization_code",
    "tax_number",
    "institution_number",
    "social_org_number",
    "legal_representative",
    "region_code",
    "status",
    "id_number_masked",
)


def subject_public_code(subject: Subject) -> str:
    if subject.kind == SubjectKind.PERSON:
        return subject.id_number_masked or ""
    return public_code(subject.uscc)


@dataclass(frozen=True)
class PublicIdentity:
    pk: int
    name: str
    kind: str
    kind_label: str
    code: str
    code_label: str
    legacy_codes: list[tuple[str, str]]
    legal_representative: str
    region: str
    status: str


@dataclass(frozen=True)
class PublicRecordRow:
    pk: int
    record_type: str
    record_type_code: str
    decision_number: str
    decision_date: datetime.date
    department: str
    department_id: int
    summary: str
    severity: str
    publicity_end: datetime.date | None
    under_repair: bool
    under_objection: bool


@dataclass
class SubjectProfile:
    identity: PublicIdentity
    on: datetime.date
    records: list[PublicRecordRow]
    records_truncated: bool
    entries: list[PublicEntry]
    grade: str = ""
    commitments: list = field(default_factory=list)

    @property
    def penalties(self) -> list[PublicRecordRow]:
        return [r for r in self.records if r.record_type_code == PENALTY_TYPE]

    @property
    def under_objection(self) -> bool:
        return any(r.under_objection for r in self.records) or any(e.under_objection for e in self.entries)


def public_identity(subject: Subject) -> PublicIdentity:
    person = subject.kind == SubjectKind.PERSON
    legacy = [] if person else [(label, getattr(subject, name)) for name, label in LEGACY_CODE_FIELDS]
    return PublicIdentity(
        pk=subject.pk,
        name=mask_personal_numbers(subject.name),
        kind=subject.kind,
        kind_label=SubjectKind(subject.kind).label,
        code=subject_public_code(subject),
        code_label="身份证号码" if person else "统一社会信用代码",
        legacy_codes=[(label, mask_personal_numbers(value)) for label, value in legacy if value],
        # A natural person has no legal representative; an organisation's is public registration data.
        legal_representative="" if person else mask_personal_numbers(subject.legal_representative),
        region=(region_name(subject.region_code) or "") if subject.region_code else "",
        status=OperatingStatus(subject.status).label if subject.status in OperatingStatus.values else subject.status,
    )


def _record_row(
    specs,
    *,
    pk,
    record_type_id,
    record_type,
    record_type_code,
    decision_number,
    decision_date,
    department,
    department_id,
    data,
    severity,
    publicity_end,
    under_repair,
    under_objection,
):
    by_code = {spec.code: spec for spec in specs.get(record_type_id, ())}
    data = data or {}
    # Parts that end in their own full stop ("…5000元。") are not followed by a second mark ("。；").
    parts = [v for v in (public_value(by_code[c], data.get(c)) for c in SUMMARY_CODES if c in by_code) if v]
    summary = "".join(
        p if p.endswith(("。", "；", "！", "？")) or i == len(parts) - 1 else p + "；" for i, p in enumerate(parts)
    )
    return PublicRecordRow(
        pk=pk,
        record_type=record_type,
        record_type_code=record_type_code,
        decision_number=mask_personal_numbers(decision_number),
        decision_date=decision_date,
        department=department,
        department_id=department_id,
        summary=summary,
        severity=_SEVERITY_LABELS.get(severity, severity) if record_type_code == PENALTY_TYPE else "",
        publicity_end=publicity_end,
        under_repair=under_repair,
        under_objection=under_objection,
    )


_SEVERITY_LABELS = dict(Record._meta.get_field("severity").flatchoices)


def record_rows(records: list[Record]) -> list[PublicRecordRow]:
    """Public one-line rows for records: type, number, date, department, a masked summary, marks."""
    specs = cached_public_field_specs()
    return [
        _record_row(
            specs,
            pk=r.pk,
            record_type_id=r.record_type_id,
            record_type=r.record_type.name,
            record_type_code=r.record_type.code,
            decision_number=r.decision_number,
            decision_date=r.decision_date,
            department=r.department.name,
            department_id=r.department_id,
            data=r.data,
            severity=r.severity,
            publicity_end=r.publicity_end,
            under_repair=r.under_repair,
            under_objection=r.under_objection,
        )
        for r in records
    ]


def public_grade(subject_id: int, *, kind: str = SubjectKind.LEGAL) -> str:
    """The subject's grade as the public sees it (``apps.evaluation``), or "" when there is none.

    An organisation's (or 个体工商户's) grade is public — the evaluation model itself is
    published. A natural person's grade is personal information and is never shown here.
    """
    if kind == SubjectKind.PERSON:
        return ""
    found = grade_and_label(subject_id)
    if not found:
        return ""
    grade, label = found
    return f"{grade}（{label}）" if label and label != grade else str(grade)


# The profile's reads, compiled once per process (credit_portal/prepared.py): ~1 ms of ORM
# compilation each, for every visitor, against a fraction of that in PostgreSQL. The rules stay
# in the querysets: ``public_records()`` decides which records are public.
_PROFILE_SUBJECT = PreparedQuery(
    lambda *, pk, key: Subject.objects.filter(pk=pk).order_by().values_list(*SUBJECT_PUBLIC_FIELDS), pk=int
)
_RECORD_COLUMNS = {
    "pk": "pk",
    "record_type_id": "record_type_id",
    "record_type": "record_type__name",
    "record_type_code": "record_type__code",
    "decision_number": "decision_number",
    "decision_date": "decision_date",
    "department": "department__name",
    "department_id": "department_id",
    "data": "data",
    "severity": "severity",
    "publicity_end": "publicity_end",
    "under_repair": "under_repair",
    "under_objection": "under_objection",
}
_PROFILE_RECORDS = PreparedQuery(
    lambda *, pk, on, key: public_records(on=on).filter(subject_id=pk).values_list(*_RECORD_COLUMNS.values())[:key],
    pk=int,
    on=datetime.date,
)


def subject_profile(*, pk: int, on: datetime.date) -> SubjectProfile:
    """The subject's public credit profile; ``Subject.DoesNotExist`` when the portal does not show it.

    Shown are every organisation and 个体工商户, and a natural person only while something about
    them is public (``search.publicly_shown_subjects``): for a person that is decided from the public
    records and entries read here anyway, rather than by two more subqueries.
    """
    found = _PROFILE_SUBJECT.rows(pk=pk)
    if not found:
        raise Subject.DoesNotExist(pk)
    subject = Subject(**dict(zip(SUBJECT_PUBLIC_FIELDS, found[0], strict=True)))
    cap = settings.PORTAL_PROFILE_MAX_RECORDS
    names = tuple(_RECORD_COLUMNS)
    records = [dict(zip(names, row, strict=True)) for row in _PROFILE_RECORDS.rows(pk=pk, on=on, key=cap + 1)]
    entries = subject_public_entries(subject_id=pk, on=on)
    if subject.kind == SubjectKind.PERSON and not records and not entries:
        raise Subject.DoesNotExist(pk)
    specs = cached_public_field_specs()
    profile = SubjectProfile(
        identity=public_identity(subject),
        on=on,
        records=[_record_row(specs, **record) for record in records[:cap]],
        records_truncated=len(records) > cap,
        entries=entries,
    )
    profile.grade = public_grade(subject.pk, kind=subject.kind)
    profile.commitments = list(public_commitments(subject=subject, on=on))
    return profile


@dataclass(frozen=True)
class PublicRepair:
    number: str
    record_type: str
    department: str
    approved_on: datetime.date | None


def public_repairs(subject_id: int) -> list[PublicRepair]:
    """Approved repairs of the subject's records (``apps.repair``): number, type, department, date.

    The repaired record's number and content are not repeated: its publication has stopped.
    """
    return [
        PublicRepair(
            number=a.number,
            record_type=a.record.record_type.name,
            department=a.department.name,
            approved_on=timezone.localdate(a.decided_at) if a.decided_at else None,
        )
        for a in approved_repairs(subject_id=subject_id)
    ]


def _penalty_departments() -> list[tuple[int, str]]:
    penalty = RecordType.objects.filter(code=PENALTY_TYPE).values("power_id")[:1]
    return list(
        Department.objects.filter(is_active=True, powers__in=penalty).order_by("name").values_list("pk", "name")
    )


# The fields (领域) a 专用版 report can cover: departments that record penalties. Kept per process
# (credit_portal/policy_cache.py): the report form on every profile page lists them.
penalty_departments = policy_cache.register(
    "portal.penalty_departments", _penalty_departments, models=("accounts.Department", "catalog.RecordType")
)
policy_cache.watch_m2m(Department.powers.through, name="portal.penalty_departments")

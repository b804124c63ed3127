"""Reads of the public portal: subject search and the subject's public credit profile.

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
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections, router, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.accounts.models import Department
from apps.catalog.models import RecordType
from apps.commitments.selectors import public_commitments
from apps.evaluation.selectors import grade_and_label
from apps.lists.selectors import PublicEntry, public_code, public_entries, subject_public_entries
from apps.records.models import Record
from apps.records.selectors import cached_public_field_specs, public_records, public_value
from apps.repair.selectors import approved_repairs
from apps.subjects.choices import LEGACY_CODE_FIELDS, OperatingStatus, SubjectKind
from apps.subjects.codes import normalise_code, region_name
from apps.subjects.masking import mask_personal_numbers
from apps.subjects.models import Subject
from apps.subjects.selectors import is_code_like
from credit_portal.policy_cache import policy_cache
from credit_portal.prepared import PreparedQuery

MIN_NAME_CHARS = 2
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


def _name_ids_sql(persons: bool | None) -> str:
    """Ids of subjects whose name holds every bigram of the term (``%s``).

    The bigrams live in the side table ``portal_subject_name`` (portal migration 0003), one partial
    GIN index for organisations and one for persons, matched by the literal ``person`` condition so
    the planner can use them. The query's bigrams are computed by the same SQL function as the
    table's, so case folding never differs between the two sides. Subjects registered since the last
    refresh are not there yet: ``name_candidates`` adds them from the queue.
    """
    side = {True: "n.person", False: "NOT n.person", None: "true"}[persons]
    return f"SELECT n.subject_id FROM portal_subject_name n WHERE {side} AND n.bigrams @> portal_name_bigrams(%s)"  # noqa: S608 — one of three literals


# Subjects registered since the side table's last refresh (a few rows; one import's worth until its refresh).
_QUEUED_IDS_SQL = "SELECT subject_id FROM portal_subject_name_pending"


def _uses_bigram_index() -> bool:
    return connection.vendor == "postgresql"


def name_terms(text: str) -> list[str]:
    return [term for term in re.split(r"\s+", text.strip()) if term]


def name_filter(queryset: QuerySet, terms: list[str], *, persons: bool | None = None) -> QuerySet:
    """Subjects whose name contains every term (case-insensitive).

    On PostgreSQL each term of two or more characters adds the bigram test that
    the GIN index answers (``persons``: which of its two partial indexes). For a
    two-character term that test is exact (the term is its own only bigram); a
    longer term also needs the ``icontains`` recheck (a name holding all bigrams of ``鑫源达`` need not hold ``鑫源达``).
    """
    for term in terms:
        if _uses_bigram_index() and len(term) >= MIN_NAME_CHARS:
            queryset = queryset.filter(pk__in=RawSQL(_name_ids_sql(persons), [term]))  # noqa: S611 — bound
            if len(term) == MIN_NAME_CHARS:
                continue
        queryset = queryset.filter(name__icontains=term)
    return queryset


@contextmanager
def _no_jit():
    """Short lookups must not pay for JIT compilation.

    PostgreSQL's cost estimate for ``name LIKE '%…%'`` over a frequent bigram
    can pass ``jit_above_cost`` and spend a second compiling a query that then
    runs in milliseconds; ``SET LOCAL`` keeps the change to this transaction.
    """
    if not _uses_bigram_index():
        yield
        return
    alias = router.db_for_read(Subject)  # the read replica for a public search when there is one
    with transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def _code_q(code: str) -> Q:
    q = Q(uscc=code)
    for field_name, _label in LEGACY_CODE_FIELDS:
        q |= Q(**{field_name: code})
    if len(code) < 18:
        q |= Q(uscc__startswith=code)
    return q


def publicly_shown_subjects(*, on: datetime.date) -> QuerySet:
    """Subjects the portal shows: every organisation and 个体工商户, and a natural
    person only while something about them is public (a record in publicity or
    a public list entry) — the registry of persons itself is not published."""
    has_record = public_records(on=on).filter(subject_id=OuterRef("pk"))
    has_entry = public_entries(on=on).filter(subject_id=OuterRef("pk"))
    return Subject.objects.filter(~Q(kind=SubjectKind.PERSON) | Exists(has_record) | Exists(has_entry))


@dataclass(frozen=True)
class SearchHit:
    pk: int
    name: str
    kind: str
    code: str
    status: str
    penalties: int


@dataclass
class SearchOutcome:
    query: str
    mode: str = ""  # "name", "code" or "" (nothing searched)
    hits: list[SearchHit] = field(default_factory=list)
    truncated: bool = False
    error: str = ""


def name_candidates(*, terms: list[str], on: datetime.date, persons: bool) -> QuerySet:
    """Unordered name matches among organisations, or among the persons the portal shows.

    Each side has its own partial GIN index in the name side table (``NOT person`` /
    ``person``), so a fragment frequent in company names costs nothing among
    persons. No ORDER BY: the caller reads the first few the index yields.
    """
    if persons:
        base = publicly_shown_subjects(on=on).filter(kind=SubjectKind.PERSON)
    else:
        base = Subject.objects.exclude(kind=SubjectKind.PERSON)
    base = base.only(*SUBJECT_PUBLIC_FIELDS).order_by()
    matched = name_filter(base, terms, persons=persons)
    if not (_uses_bigram_index() and any(len(term) >= MIN_NAME_CHARS for term in terms)):
        return matched
    # Subjects not yet in the side table are found through the queue, so a new subject is searchable as
    # soon as it is committed: a UNION, so each side keeps its own plan (GIN scan; queue → primary key).
    queued = base.filter(pk__in=RawSQL(_QUEUED_IDS_SQL, []))  # noqa: S611 — a constant
    for term in terms:
        queued = queued.filter(name__icontains=term)
    return matched.union(queued)


def _rank(name: str, text: str) -> tuple:
    lowered, needle = name.lower(), text.lower()
    return (lowered != needle, not lowered.startswith(needle), len(name), name)


def public_subject_search(*, query: str, on: datetime.date, limit: int | None = None) -> SearchOutcome:
    """The portal's search: by USCC (or its leading part) or any legacy code, else by name fragment.

    At most ``limit`` candidates are read (``PORTAL_SEARCH_MAX_RESULTS``) and
    ranked in Python — exact name, then names starting with the query, then
    shorter names — so a two-character query matching half the county costs
    the same as a rare one; ``truncated`` tells the visitor to type more.
    A full ID number is not a search key here: the public site must not
    confirm whose number it is.
    """
    limit = limit or settings.PORTAL_SEARCH_MAX_RESULTS
    text = (query or "").strip()[:100]
    # The page echoes the query; an ID number typed in is echoed masked, like everywhere else.
    outcome = SearchOutcome(query=mask_personal_numbers(text))
    if not text:
        return outcome
    organisations = Subject.objects.exclude(kind=SubjectKind.PERSON).only(*SUBJECT_PUBLIC_FIELDS)
    rows: list[Subject] = []
    code = normalise_code(text)
    if is_code_like(code):
        outcome.mode = "code"
        rows = list(organisations.filter(_code_q(code)).order_by("pk")[: limit + 1])
    if not rows:
        terms = name_terms(text)
        # Every term needs its own index test: a one-character term beside a frequent one
        # (``恒 公司``) would otherwise be checked row by row over most of the county.
        if not terms or any(len(term) < MIN_NAME_CHARS for term in terms):
            outcome.error = f"请输入名称中连续的至少{MIN_NAME_CHARS}个字（多个关键词以空格分隔，每个至少{MIN_NAME_CHARS}个字），或统一社会信用代码。"
            return outcome
        outcome.mode = "name"
        # No ORDER BY: the first candidates the index yields are read and ranked here, so a
        # fragment matching most of the county stops after ``limit`` rows instead of sorting them all.
        # Organisations and persons are read apart: the persons' "something public" test is a
        # correlated subquery that must not run for every organisation.
        with _no_jit():
            rows = list(name_candidates(terms=terms, on=on, persons=False)[: limit + 1])
            rows += list(name_candidates(terms=terms, on=on, persons=True)[: limit + 1])
        # A name is matched as the public sees it: the digits masked in a name (``赵六（身份证371083…）``)
        # must not be found one by one by searching for them.
        rows = [s for s in rows if all(t.lower() in mask_personal_numbers(s.name).lower() for t in terms)]
        rows.sort(key=lambda s: _rank(s.name, text))
    outcome.truncated = len(rows) > limit
    rows = rows[:limit]
    penalties = dict(
        public_records(on=on)
        .filter(subject_id__in=[s.pk for s in rows], record_type__code=PENALTY_TYPE)
        .order_by()
        .values_list("subject_id")
        .annotate(n=Count("pk"))
    )
    outcome.hits = [
        SearchHit(
            pk=s.pk,
            name=mask_personal_numbers(s.name),
            kind=SubjectKind(s.kind).label,
            code=subject_public_code(s),
            status=OperatingStatus(s.status).label if s.status in OperatingStatus.values else s.status,
            penalties=penalties.get(s.pk, 0),
        )
        for s in rows
    ]
    return outcome


# --- profile -------------------------------------------------------------------------


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
    them is public (``publicly_shown_subjects``): for a person that is decided from the public
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

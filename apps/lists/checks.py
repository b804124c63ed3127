"""信用核查 (逢办必查): who the subject is, which lists it is on, what it has in publicity, which measures apply.

One check answers, for a subject and a matter (事项), with:

* the subject's identity (public code only: a person's ID number is masked);
* its *active* list memberships — ``ListEntry.objects.active`` is the only
  definition of "counts today", so an expired, removed or repaired entry never
  appears and never triggers a measure (removal takes effect at the next check);
* its records in publicity (``apps.records.selectors.public_records``);
* its grade (``apps.evaluation.selectors.grade_summaries``; None when not yet graded);
* the measures in force for the matter whose list types intersect the list
  types of its active entries (only list types that trigger joint measures),
  each once, with the lists that triggered it.

Every check is logged as a ``CreditCheck`` whose ``result`` is exactly the
answer given, so the page, the API and the audit trail show the same thing.

Speed: a single check is a handful of indexed queries (subject by code, its
entries with their list types and departments in one query, its records in one
query, the matter's measures in one query, one insert). A batch resolves all
subjects in bulk (``IN`` lists per code kind), reads all entries and records in
one query per chunk, the measures once, and logs every row with one
``bulk_create``.
"""

import datetime
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.evaluation.selectors import grade_summaries
from apps.records.export import XLSX_CONTENT_TYPE, neutralise
from apps.records.intake.guards import SpreadsheetRefused, UploadError
from apps.records.intake.reader import SheetLimits, read_sheet
from apps.records.selectors import public_records
from apps.subjects.choices import LEGACY_CODE_FIELDS, OperatingStatus, SubjectKind
from apps.subjects.codes import check_id_number, mask_id_number, normalise_code
from apps.subjects.masking import mask_personal_numbers
from apps.subjects.models import Subject
from apps.subjects.pii import id_number_hash
from apps.subjects.selectors import subject_find_by_code

from .choices import CheckChannel, ListColor, MeasureKind
from .models import CheckFeedback, CreditCheck, ListEntry, Matter, Measure

__all__ = [
    "AMBIGUOUS_NAME_MESSAGE",
    "BATCH_MAX_BYTES",
    "BATCH_MAX_ROWS",
    "XLSX_CONTENT_TYPE",
    "BatchQuery",
    "batch_queries_read",
    "batch_result_xlsx",
    "check_feedback_record",
    "credit_check_batch",
    "credit_check_run",
    "credit_checks_visible",
    "matter_resolve",
]

AMBIGUOUS_NAME_MESSAGE = "多个同名主体，请使用统一社会信用代码查询"
RECORDS_SHOWN = 50  # records in publicity listed per answer (the total is given as well)
CANDIDATES_SHOWN = 20
QUERY_MAX = 200  # CreditCheck.query
CHUNK = 2000  # values per ``IN (…)`` in bulk reads
BATCH_MAX_ROWS = settings.CREDIT_CHECK_BATCH_MAX_ROWS
BATCH_MAX_BYTES = settings.CREDIT_CHECK_BATCH_MAX_MB * 1024 * 1024

# Catalog field codes of the list_entry record type whose text the answer quotes.
ENTRY_BASIS_FIELD = "MD_RDYJ"  # 认定依据
ENTRY_REASON_FIELD = "MD_LRSY"  # 列入事由

# A query that looks like an identifier (letters and digits only, at least one digit).
_CODE_LIKE = re.compile(r"(?=.*[0-9])[0-9A-Z]{6,30}")
_ID_FORM = re.compile(r"[0-9]{17}[0-9X]")
_COLOR_ORDER = {ListColor.BLACK: 0, ListColor.WATCH: 1, ListColor.RED: 2}
_KIND_ORDER = {MeasureKind.PUNISHMENT: 0, MeasureKind.REWARD: 1}
_SUBJECT_FIELDS = ("pk", "kind", "name", "uscc", "id_number_masked", "legal_representative", "status")
# Labels looked up once (an enum call per row costs more than the rest of a batch row's answer).
_KIND_LABELS = dict(SubjectKind.choices)
_STATUS_LABELS = dict(OperatingStatus.choices)
_COLOR_LABELS = dict(ListColor.choices)
_MEASURE_KIND_LABELS = dict(MeasureKind.choices)


class Lookup:
    AUTO = "auto"  # by code when the query looks like one, else (or when no code matches) by exact name
    CODE = "code"
    NAME = "name"


# --- resolving the subject ------------------------------------------------------------


@dataclass
class Resolution:
    query: str  # as logged and echoed: an ID number is masked
    subject: Subject | None = None
    candidates: list[Subject] = field(default_factory=list)
    by: str = ""  # "code" or "name": how the query was read

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


def _is_code_like(code: str) -> bool:
    return bool(_CODE_LIKE.fullmatch(code))


def _logged_query(raw: str, code: str, subject: Subject | None) -> str:
    """What is stored and echoed: a resident ID number never appears in clear."""
    text = raw.strip()
    if _ID_FORM.fullmatch(code) and not (subject is not None and subject.uscc == code):
        if check_id_number(code).valid or (subject is not None and subject.kind == SubjectKind.PERSON):
            return mask_id_number(code)
    return mask_personal_numbers(text)[:QUERY_MAX]


def _name_variants(name: str) -> list[str]:
    """The name as typed, and with half-width brackets turned full-width (how registered names are written)."""
    variants = [name]
    full = name.replace("(", "（").replace(")", "）")
    if full != name:
        variants.append(full)
    return variants


def _subjects_by_name(names: Iterable[str]) -> dict[str, list[Subject]]:
    wanted = defaultdict(set)  # spelling looked for -> the queries it answers
    for name in names:
        for variant in _name_variants(name):
            wanted[variant].add(name)
    found = defaultdict(list)
    keys = list(wanted)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        for subject in Subject.objects.filter(name__in=chunk).only(*_SUBJECT_FIELDS).order_by("pk"):
            for name in wanted[subject.name]:
                found[name].append(subject)
    return found


def _resolved(raw: str, code: str, matches: list[Subject], *, looked_as_code: bool) -> Resolution:
    """After the name lookup: one match, several (ask for the code), or none (say how it was looked for)."""
    if len(matches) == 1:
        return Resolution(_logged_query(raw, code, matches[0]), matches[0], [], Lookup.NAME)
    by = Lookup.CODE if looked_as_code and not matches else Lookup.NAME
    return Resolution(_logged_query(raw, code, None), None, matches[:CANDIDATES_SHOWN], by)


def subject_resolve(raw_query: str, *, lookup: str = Lookup.AUTO) -> Resolution:
    """One query: by code (USCC, ID number, legacy codes), else by exact name."""
    raw = (raw_query or "").strip()
    code = normalise_code(raw)
    as_code = lookup != Lookup.NAME and (lookup == Lookup.CODE or _is_code_like(code))
    if as_code:
        subject = subject_find_by_code(code)
        if subject is not None or lookup == Lookup.CODE:
            return Resolution(_logged_query(raw, code, subject), subject, [], Lookup.CODE)
    matches = _subjects_by_name([raw]).get(raw, []) if raw else []
    return _resolved(raw, code, matches, looked_as_code=as_code)


def subjects_resolve_bulk(queries: list[tuple[str, str]]) -> list[Resolution]:
    """Many ``(query, lookup)`` pairs at once, with the same rules as ``subject_resolve``.

    USCCs, ID-number hashes, legacy codes and names are each read with ``IN``
    lists (a few queries per 2,000 values), never one query per row. Where a
    code matches several subjects the lowest id wins, as in
    ``subject_find_by_code``.
    """
    prepared = []
    codes = set()
    for raw, lookup in queries:
        raw = (raw or "").strip()
        code = normalise_code(raw)
        as_code = lookup != Lookup.NAME and (lookup == Lookup.CODE or _is_code_like(code))
        prepared.append((raw, code, lookup, as_code))
        if as_code and code:
            codes.add(code)

    by_code: dict[str, Subject] = {}

    def read(qs, keys_of):
        # Highest id first so that the lowest id is written last and wins.
        for subject in qs.only(*_SUBJECT_FIELDS, *(f for f, _ in LEGACY_CODE_FIELDS)).order_by("-pk"):
            for key in keys_of(subject):
                by_code[key] = subject

    pending = sorted(codes)
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        read(Subject.objects.filter(uscc__in=chunk), lambda s: [s.uscc])
    pending = [c for c in pending if c not in by_code]
    hashes = {id_number_hash(c): c for c in pending if len(c) == 18}
    hash_keys = list(hashes)
    found_by_hash: dict[str, Subject] = {}
    for start in range(0, len(hash_keys), CHUNK):
        chunk = hash_keys[start : start + CHUNK]
        for subject in Subject.objects.filter(id_number_hash__in=chunk).only(*_SUBJECT_FIELDS, "id_number_hash"):
            code = hashes[subject.id_number_hash]
            if code not in found_by_hash or subject.pk < found_by_hash[code].pk:
                found_by_hash[code] = subject
    by_code.update(found_by_hash)
    pending = [c for c in pending if c not in by_code]
    legacy_found: dict[str, Subject] = {}
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        chunk_set = set(chunk)
        q = Q()
        for field_name, _label in LEGACY_CODE_FIELDS:
            q |= Q(**{f"{field_name}__in": chunk})
        for subject in Subject.objects.filter(q).only(*_SUBJECT_FIELDS, *(f for f, _ in LEGACY_CODE_FIELDS)):
            for field_name, _label in LEGACY_CODE_FIELDS:
                value = getattr(subject, field_name)
                if value in chunk_set and (value not in legacy_found or subject.pk < legacy_found[value].pk):
                    legacy_found[value] = subject
    by_code.update(legacy_found)

    names = set()
    for raw, code, lookup, as_code in prepared:
        if raw and not (as_code and (code in by_code or lookup == Lookup.CODE)):
            names.add(raw)
    by_name = _subjects_by_name(names)

    resolutions = []
    for raw, code, lookup, as_code in prepared:
        if as_code and (code in by_code or lookup == Lookup.CODE):
            subject = by_code.get(code)
            resolutions.append(Resolution(_logged_query(raw, code, subject), subject, [], Lookup.CODE))
        else:
            matches = by_name.get(raw, []) if raw else []
            resolutions.append(_resolved(raw, code, matches, looked_as_code=as_code))
    return resolutions


# --- what the answer is made of --------------------------------------------------------


def matter_resolve(value) -> Matter:
    """A ``Matter`` or its code; ``Matter.DoesNotExist`` for an unknown code."""
    if isinstance(value, Matter):
        return value
    return Matter.objects.get(code=value)


def _entries_by_subject(subject_ids: list[int], on: datetime.date) -> dict[int, list[dict]]:
    """Active list entries of the subjects, list type and department included (one query per chunk)."""
    found = defaultdict(list)
    for start in range(0, len(subject_ids), CHUNK):
        chunk = subject_ids[start : start + CHUNK]
        rows = (
            ListEntry.objects.active(on=on)
            .filter(subject_id__in=chunk)
            .order_by("-recognised_on", "-pk")
            .values(
                "pk",
                "subject_id",
                "list_type_id",
                "list_type__code",
                "list_type__name",
                "list_type__color",
                "list_type__legal_basis",
                "list_type__triggers_measures",
                "department__name",
                "recognised_on",
                "valid_until",
                "legal_representative",
                "record__decision_number",
                basis=KeyTextTransform(ENTRY_BASIS_FIELD, "record__data"),
                reason=KeyTextTransform(ENTRY_REASON_FIELD, "record__data"),
            )
        )
        for row in rows:
            found[row["subject_id"]].append(row)
    return found


def _records_by_subject(subject_ids: list[int], on: datetime.date) -> dict[int, list[dict]]:
    """Records in publicity, newest first (one query per chunk)."""
    found = defaultdict(list)
    for start in range(0, len(subject_ids), CHUNK):
        chunk = subject_ids[start : start + CHUNK]
        rows = (
            public_records(on=on)
            .filter(subject_id__in=chunk)
            .values(
                "pk",
                "subject_id",
                "record_type__code",
                "record_type__name",
                "decision_number",
                "decision_date",
                "department__name",
                "publicity_end",
            )
        )
        for row in rows:
            found[row["subject_id"]].append(row)
    return found


def _measures_by_list_type(matter: Matter, on: datetime.date, list_type_ids=None) -> dict[int, list[dict]]:
    """Measures in force for the matter, keyed by each list type that triggers them (one query)."""
    through = Measure.list_types.through
    rows = through.objects.filter(measure__in=Measure.objects.in_force(on=on).filter(matters=matter))
    if list_type_ids is not None:
        rows = rows.filter(listtype_id__in=list_type_ids)
    found = defaultdict(list)
    for row in rows.values(
        "listtype_id",
        "measure_id",
        "measure__code",
        "measure__name",
        "measure__kind",
        "measure__content",
        "measure__legal_basis",
        "measure__implementing_department",
        "measure__version",
    ):
        found[row["listtype_id"]].append(row)
    return found


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _subject_dict(subject: Subject) -> dict:
    return {
        "id": subject.pk,
        "name": subject.name,
        "kind": subject.kind,
        "kind_display": _KIND_LABELS.get(subject.kind, subject.kind),
        # USCC for organisations, the masked ID number for persons: never the full number.
        "public_code": subject.uscc or subject.id_number_masked,
        "legal_representative": subject.legal_representative,
        "status": subject.status,
        "status_display": _STATUS_LABELS.get(subject.status, subject.status),
    }


def _list_dict(row: dict) -> dict:
    color = row["list_type__color"]
    return {
        "entry_id": row["pk"],
        "list_type": row["list_type__code"],
        "list_type_name": row["list_type__name"],
        "color": color,
        "color_display": _COLOR_LABELS.get(color, color),
        "department": row["department__name"],
        "recognised_on": _iso(row["recognised_on"]),
        "valid_until": _iso(row["valid_until"]),
        "legal_basis": row["basis"] or row["list_type__legal_basis"],
        "reason": mask_personal_numbers(row["reason"] or ""),
        "decision_number": row["record__decision_number"],
        "legal_representative": row["legal_representative"],
        "triggers_measures": row["list_type__triggers_measures"],
    }


def _record_dict(row: dict) -> dict:
    return {
        "id": row["pk"],
        "type": row["record_type__code"],
        "type_name": row["record_type__name"],
        "decision_number": row["decision_number"],
        "decision_date": _iso(row["decision_date"]),
        "department": row["department__name"],
        "publicity_end": _iso(row["publicity_end"]),
    }


def _applicable_measures(entries: list[dict], measures_by_type: dict[int, list[dict]]) -> list[dict]:
    """Each measure once, with every active list that triggers it (black + watch → both named)."""
    measures: dict[int, dict] = {}
    for entry in entries:
        if not entry["list_type__triggers_measures"]:
            continue
        trigger = {
            "code": entry["list_type__code"],
            "name": entry["list_type__name"],
            "color": entry["list_type__color"],
        }
        for row in measures_by_type.get(entry["list_type_id"], ()):
            measure = measures.get(row["measure_id"])
            if measure is None:
                kind = row["measure__kind"]
                measure = measures[row["measure_id"]] = {
                    "id": row["measure_id"],
                    "code": row["measure__code"],
                    "name": row["measure__name"],
                    "kind": kind,
                    "kind_display": _MEASURE_KIND_LABELS.get(kind, kind),
                    "content": row["measure__content"],
                    "legal_basis": row["measure__legal_basis"],
                    "implementing_department": row["measure__implementing_department"],
                    "version": row["measure__version"],
                    "triggered_by": [],
                }
            if trigger not in measure["triggered_by"]:
                measure["triggered_by"].append(trigger)
    return sorted(measures.values(), key=lambda m: (_KIND_ORDER.get(m["kind"], 9), m["code"]))


def _answer(
    resolution: Resolution,
    *,
    matter: Matter,
    on: datetime.date,
    entries: list[dict],
    records: list[dict],
    measures_by_type: dict[int, list[dict]],
    grades: dict | None = None,
) -> dict:
    answer = {
        "query": resolution.query,
        "found": resolution.subject is not None,
        "message": "",
        "checked_on": on.isoformat(),
        "matter": {"code": matter.code, "name": matter.name},
        "subject": None,
        "candidates": [],
        "lists": [],
        "records": [],
        "records_total": 0,
        "grade": None,
        "measures": [],
        "counts": {"black": 0, "watch": 0, "red": 0, "records": 0, "measures": 0},
    }
    subject = resolution.subject
    if subject is None:
        if resolution.ambiguous:
            answer["message"] = AMBIGUOUS_NAME_MESSAGE
            answer["candidates"] = [
                {"name": s.name, "public_code": s.uscc or s.id_number_masked, "kind": s.kind, "status": s.status}
                for s in resolution.candidates
            ]
        elif resolution.by == Lookup.CODE:
            answer["message"] = f"未找到代码为“{resolution.query}”的信用主体，请核对代码后重试。"
        else:
            answer["message"] = f"未找到名称为“{resolution.query}”的信用主体，请核对名称或使用统一社会信用代码查询。"
        return answer

    entries = sorted(entries, key=lambda e: (_COLOR_ORDER.get(e["list_type__color"], 9), -e["pk"]))
    lists = [_list_dict(e) for e in entries]
    measures = _applicable_measures(entries, measures_by_type)
    counts = {color: sum(1 for item in lists if item["color"] == color) for color in ("black", "watch", "red")}
    counts |= {"records": len(records), "measures": len(measures)}
    on_lists = "；".join(
        f"{label}{counts[color]}个"
        for color, label in (("black", "严重失信主体名单"), ("watch", "重点关注名单"), ("red", "守信激励名单"))
        if counts[color]
    )
    answer.update(
        grade=(grades or {}).get(subject.pk),
        subject=_subject_dict(subject),
        lists=lists,
        records=[_record_dict(r) for r in records[:RECORDS_SHOWN]],
        records_total=len(records),
        measures=measures,
        counts=counts,
        message=(
            f"{subject.name}：{('在列' + on_lists) if on_lists else '未发现在列名单'}；"
            f"公示中的信用记录{len(records)}条；“{matter.name}”适用奖惩措施{len(measures)}项。"
        ),
    )
    return answer


def _add_legal_rep_liability(answered: list[tuple[Subject | None, dict]], on: datetime.date) -> None:
    """004 §20: a person's answer also names the active list entries of organisations they represent.

    Matched on the keyed hash of the legal representative's ID number (``ListEntry.legal_rep_id_hash``),
    never on the name, which namesakes share. These entries are shown under 作为法定代表人 and are not the
    person's own: they neither count in ``counts`` nor trigger the matter's measures (the measures list
    names list types, and which of them reach a representative is for the implementing department to
    decide on the entry's basis). Two queries per 2,000 persons, whatever the batch size.
    """
    for _subject, answer in answered:
        answer["as_legal_representative"] = []
    people = {s.pk: answer for s, answer in answered if s is not None and s.kind == SubjectKind.PERSON}
    ids = sorted(people)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        by_hash = defaultdict(list)
        for pk, digest in (
            Subject.objects.filter(pk__in=chunk).exclude(id_number_hash="").values_list("pk", "id_number_hash")
        ):
            by_hash[digest].append(pk)
        if not by_hash:
            continue
        rows = (
            ListEntry.objects.active(on=on)
            .filter(legal_rep_id_hash__in=list(by_hash))
            .order_by("-recognised_on", "-pk")
            .values(
                "pk", "subject_id", "list_type_id", "list_type__code", "list_type__name", "list_type__color",
                "list_type__legal_basis", "list_type__triggers_measures", "department__name", "recognised_on",
                "valid_until", "legal_representative", "record__decision_number", "legal_rep_id_hash",
                "record__subject_name", "record__subject_code",
                basis=KeyTextTransform(ENTRY_BASIS_FIELD, "record__data"),
                reason=KeyTextTransform(ENTRY_REASON_FIELD, "record__data"),
            )
        )  # fmt: skip
        for row in rows:
            item = _list_dict(row) | {
                "organisation": row["record__subject_name"],
                "organisation_code": row["record__subject_code"],
            }
            for pk in by_hash[row["legal_rep_id_hash"]]:
                if row["subject_id"] != pk:  # a person's own entry is already under ``lists``
                    people[pk]["as_legal_representative"].append(item)
    for answer in people.values():
        if found := answer["as_legal_representative"]:
            organisations = "、".join(dict.fromkeys(item["organisation"] for item in found))
            answer["message"] += f"作为法定代表人：{organisations}在列名单{len(found)}个。"


def _principal(user, api_key):
    if api_key is None and getattr(user, "api_key", None) is not None:
        api_key = user.api_key  # a hall system's principal passed as the user
    department_id = getattr(api_key, "department_id", None) if api_key else getattr(user, "department_id", None)
    user = user if getattr(user, "pk", None) else None
    return user, api_key, department_id


# --- single check -----------------------------------------------------------------------


def credit_check_run(
    *, query, matter, channel, user=None, api_key=None, on: datetime.date | None = None, lookup: str = Lookup.AUTO
) -> CreditCheck:
    """Run and log one check; the answer is ``check.result``.

    ``matter`` is a ``Matter`` or its code. ``lookup`` may force reading the
    query as a code or as a name (the API's ``code`` / ``name`` fields).
    Unknown subjects are answered (``found`` false, the message says so) and
    logged like any other check.
    """
    if not (query or "").strip():
        raise ValidationError("请输入主体的统一社会信用代码、证件号码或名称。")
    if channel not in CheckChannel.values:
        raise ValidationError(f"未知的核查渠道“{channel}”。")
    on = on or timezone.localdate()
    matter = matter_resolve(matter)
    resolution = subject_resolve(query, lookup=lookup)
    entries, records, measures_by_type = [], [], {}
    if resolution.subject is not None:
        pk = resolution.subject.pk
        entries = _entries_by_subject([pk], on).get(pk, [])
        records = _records_by_subject([pk], on).get(pk, [])
        triggering = {e["list_type_id"] for e in entries if e["list_type__triggers_measures"]}
        if triggering:
            measures_by_type = _measures_by_list_type(matter, on, triggering)
    answer = _answer(
        resolution, matter=matter, on=on, entries=entries, records=records, measures_by_type=measures_by_type,
        grades=grade_summaries([resolution.subject.pk]) if resolution.subject is not None else None,
    )  # fmt: skip
    _add_legal_rep_liability([(resolution.subject, answer)], on)
    user, api_key, department_id = _principal(user, api_key)
    return CreditCheck.objects.create(
        channel=channel,
        user=user,
        api_key=api_key,
        department_id=department_id,
        query=resolution.query,
        matter=matter,
        subject=resolution.subject,
        found=answer["found"],
        result=answer,
    )


# --- batch check -------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchQuery:
    row: int  # row number in the file (1-based, header included)
    text: str
    lookup: str = Lookup.AUTO


def credit_check_batch(
    *, queries: list[BatchQuery], matter, user=None, api_key=None, on: datetime.date | None = None
) -> list[CreditCheck]:
    """Check many subjects for one matter; every row is logged (channel ``batch``) in one ``bulk_create``.

    Cost does not grow with queries per row: subjects are resolved in bulk,
    entries and records read in one query per 2,000 subjects, the matter's
    measures once.
    """
    if len(queries) > BATCH_MAX_ROWS:
        raise ValidationError(f"批量核查每次最多 {BATCH_MAX_ROWS:,} 行，本次 {len(queries):,} 行，请分批核查。")
    on = on or timezone.localdate()
    matter = matter_resolve(matter)
    resolutions = subjects_resolve_bulk([(q.text, q.lookup) for q in queries])
    subject_ids = sorted({r.subject.pk for r in resolutions if r.subject is not None})
    entries = _entries_by_subject(subject_ids, on)
    records = _records_by_subject(subject_ids, on)
    measures_by_type = _measures_by_list_type(matter, on) if any(entries.values()) else {}
    grades = grade_summaries(subject_ids) if subject_ids else {}
    user, api_key, department_id = _principal(user, api_key)
    checks = []
    for resolution in resolutions:
        pk = resolution.subject.pk if resolution.subject is not None else None
        answer = _answer(
            resolution,
            matter=matter,
            on=on,
            entries=entries.get(pk, []),
            records=records.get(pk, []),
            measures_by_type=measures_by_type,
            grades=grades,
        )
        checks.append(
            CreditCheck(
                channel=CheckChannel.BATCH,
                user=user,
                api_key=api_key,
                department_id=department_id,
                query=resolution.query,
                matter=matter,
                subject=resolution.subject,
                found=answer["found"],
                result=answer,
            )
        )
    _add_legal_rep_liability([(r.subject, c.result) for r, c in zip(resolutions, checks, strict=True)], on)
    _log_many(checks)
    return checks


_COPY_COLUMNS = (
    "channel", "user", "api_key", "department", "query", "matter", "subject", "found", "result", "created_at",
)  # fmt: skip


def _log_many(checks: list[CreditCheck]) -> None:
    """Write the batch's log rows in one statement.

    On PostgreSQL through ``COPY``: Django 5.2's ``bulk_create`` sends the rows
    as ``UNNEST`` arrays, and psycopg quotes each JSON answer in those arrays
    in Python — about 5 s for 10,000 answers against 0.7 s by ``COPY``. The
    rows then have no primary key (nothing downstream needs it). Elsewhere
    (the embedded SQLite default) ``bulk_create``.
    """
    if not checks:
        return
    now = timezone.now()
    for check in checks:
        check.created_at = now
    if connection.vendor != "postgresql":
        CreditCheck.objects.bulk_create(checks, batch_size=500)
        return
    meta = CreditCheck._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in _COPY_COLUMNS)
    attributes = [meta.get_field(name).attname for name in _COPY_COLUMNS]
    result_index = _COPY_COLUMNS.index("result")
    statement = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"  # identifiers from the model
    with transaction.atomic(), connection.cursor() as cursor, cursor.copy(statement) as copy:
        for check in checks:
            row = [getattr(check, attribute) for attribute in attributes]
            row[result_index] = json.dumps(row[result_index], ensure_ascii=False)
            copy.write_row(row)


# --- who may see a check and report on it -------------------------------------------------


def credit_checks_visible(*, user):
    """Checks a caller may read and report on: its department's (a hall system: its department's or its own key's),
    its own, or all of them for the credit center."""
    qs = CreditCheck.objects.select_related("matter", "department")
    if has_role(user, CENTER_ROLES):
        return qs
    api_key = getattr(user, "api_key", None)
    department_id = getattr(user, "department_id", None)
    q = Q(pk__in=[])
    if department_id:
        q |= Q(department_id=department_id)
    if api_key is not None:
        q |= Q(api_key_id=api_key.pk)
    elif getattr(user, "pk", None):
        q |= Q(user_id=user.pk)
    return qs.filter(q)


@transaction.atomic
def check_feedback_record(*, credit_check: CreditCheck, items: list[dict], user=None, api_key=None):
    """奖惩案例 feedback: for each measure the check returned, whether it was applied (and if not, why).

    Idempotent per (check, measure): reporting again updates the earlier
    feedback. ``items``: ``[{"measure": code, "implemented": bool, "reason": str}]``.
    Raises ``ValidationError`` (a dict keyed by item position) and writes
    nothing when any item is wrong.
    """
    credit_check = CreditCheck.objects.select_for_update().get(pk=credit_check.pk)
    returned = {m["code"]: m for m in (credit_check.result or {}).get("measures", [])}
    if not returned:
        raise ValidationError("本次核查没有返回奖惩措施，无需反馈。")
    if not items:
        raise ValidationError("请至少反馈一项措施的实施情况。")
    errors, seen, clean = {}, set(), []
    for index, item in enumerate(items):
        code = str(item.get("measure") or "").strip()
        implemented = item.get("implemented")
        reason = str(item.get("reason") or "").strip()
        problems = []
        if code not in returned:
            valid = "、".join(returned)
            problems.append(f"措施“{code}”不在本次核查返回的措施中（可反馈：{valid}）。")
        elif code in seen:
            problems.append(f"措施“{code}”重复反馈。")
        if not isinstance(implemented, bool):
            problems.append("请说明措施是否已实施（implemented 为 true 或 false）。")
        elif not implemented and not reason:
            problems.append("措施未实施的，必须填写原因。")
        if len(reason) > 500:
            problems.append("原因最多 500 字。")
        if problems:
            errors[str(index)] = problems
        else:
            seen.add(code)
            clean.append((returned[code]["id"], implemented, reason))
    if errors:
        raise ValidationError(errors)
    existing_ids = set(Measure.objects.filter(pk__in=[m for m, _, _ in clean]).values_list("pk", flat=True))
    missing = [m for m, _, _ in clean if m not in existing_ids]
    if missing:
        raise ValidationError("部分措施已被删除，无法反馈。")
    user = user if getattr(user, "pk", None) else None
    saved = []
    for measure_id, implemented, reason in clean:
        feedback, _created = CheckFeedback.objects.update_or_create(
            credit_check=credit_check,
            measure_id=measure_id,
            defaults={"implemented": implemented, "reason": reason, "user": user, "api_key": api_key},
        )
        saved.append(feedback)
    return saved


def feedback_by_measure_code(credit_check: CreditCheck) -> dict[str, CheckFeedback]:
    codes = {m["id"]: m["code"] for m in (credit_check.result or {}).get("measures", [])}
    return {codes[f.measure_id]: f for f in credit_check.feedback.all() if f.measure_id in codes}


# --- batch files ---------------------------------------------------------------------------

# Header names recognised for the column to check (compared without spaces, asterisks or brackets).
CODE_HEADERS = (
    "统一社会信用代码",
    "社会信用代码",
    "信用代码",
    "主体代码",
    "代码",
    "统一社会信用代码/身份证号码",
    "证件号码",
    "身份证号码",
    "身份证号",
    "uscc",
    "code",
)
NAME_HEADERS = ("名称", "主体名称", "企业名称", "单位名称", "行政相对人名称", "姓名", "name")
HEADER_SEARCH_ROWS = 10
_HEADER_NOISE = re.compile(r"[\s*＊:：]|（[^）]*）|\([^)]*\)")


def _header_key(value) -> str:
    return _HEADER_NOISE.sub("", str(value or "")).lower()


def _find_columns(row) -> tuple[int | None, int | None]:
    keys = [_header_key(v) for v in row]
    code_col = name_col = None
    for wanted in CODE_HEADERS:
        if wanted.lower() in keys:
            code_col = keys.index(wanted.lower())
            break
    if code_col is None:
        code_col = next((i for i, k in enumerate(keys) if "代码" in k or "证件号" in k or "身份证" in k), None)
    for wanted in NAME_HEADERS:
        if wanted.lower() in keys:
            name_col = keys.index(wanted.lower())
            break
    if name_col is None:
        name_col = next((i for i, k in enumerate(keys) if k.endswith("名称")), None)
    return code_col, name_col


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows_to_queries(rows: Iterable[tuple[int, list]]) -> list[BatchQuery]:
    """``rows``: (row number in the file, values) pairs."""
    code_col = name_col = None
    queries = []
    header_row = None
    for number, row in rows:
        row = list(row or ())
        if header_row is None:
            if number > HEADER_SEARCH_ROWS:
                break
            code_col, name_col = _find_columns(row)
            if code_col is not None or name_col is not None:
                header_row = number
            continue
        code = _cell_text(row[code_col]) if code_col is not None and code_col < len(row) else ""
        name = _cell_text(row[name_col]) if name_col is not None and name_col < len(row) else ""
        if code:
            queries.append(BatchQuery(number, code, Lookup.AUTO))
        elif name:
            queries.append(BatchQuery(number, name, Lookup.NAME))
        else:
            continue
        if len(queries) > BATCH_MAX_ROWS:
            raise ValidationError(f"文件超过 {BATCH_MAX_ROWS:,} 行，请拆分后分批核查。", code="too_many_rows")
    if header_row is None:
        raise ValidationError(
            "文件中没有可识别的列：请在首行表头写明“统一社会信用代码”（或“代码”）或“名称”。", code="no_column"
        )
    if not queries:
        raise ValidationError("文件中没有需要核查的数据（表头下方均为空行）。", code="empty")
    return queries


# The batch's own file size; its row limit is on the queries read (_rows_to_queries), with its own message.
BATCH_SHEET = SheetLimits(formats=(".xlsx", ".csv"), max_bytes=BATCH_MAX_BYTES)


def batch_queries_read(uploaded) -> list[BatchQuery]:
    """Read the subjects to check from an uploaded ``.xlsx`` or ``.csv``; ``ValidationError`` (中文) if malformed."""
    name = (getattr(uploaded, "name", "") or "").lower()
    size = getattr(uploaded, "size", None)
    if size is not None and size > BATCH_MAX_BYTES:
        raise ValidationError(
            f"文件大小 {size / 1024 / 1024:.1f} MB，超过 {BATCH_MAX_BYTES // 1024 // 1024} MB 上限，请拆分后上传。",
            code="too_large",
        )
    if name.endswith(".xls"):
        raise ValidationError("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后上传。", code="xls")
    if not (name.endswith(".xlsx") or name.endswith(".csv")):
        raise ValidationError("仅支持 .xlsx 或 .csv 文件。", code="extension")
    data = uploaded.read(BATCH_MAX_BYTES + 1)
    if len(data) > BATCH_MAX_BYTES:
        raise ValidationError(f"文件超过 {BATCH_MAX_BYTES // 1024 // 1024} MB 上限，请拆分后上传。", code="too_large")
    if not data:
        raise ValidationError("上传的文件是空的。", code="empty")
    is_csv = name.endswith(".csv")
    if not is_csv and not data.startswith(b"PK\x03\x04"):
        raise ValidationError("文件不是有效的 .xlsx 工作簿（可能是改了扩展名的其他文件），请重新导出后上传。")
    # The platform's one guarded reader (zip-bomb limits, encodings and delimiters of a CSV), not openpyxl.
    try:
        rows = read_sheet(io.BytesIO(data), name, BATCH_SHEET, size=len(data))
        return _rows_to_queries((row.number, row.values) for row in rows)
    except SpreadsheetRefused as exc:
        raise ValidationError(exc.messages, code="refused") from exc
    except UploadError as exc:
        if is_csv:  # the reader's own words: the encoding, a stray quote on row N, binary content
            raise ValidationError(exc.messages, code="unreadable") from exc
        raise ValidationError(
            "无法读取该 .xlsx 文件（文件已损坏或不是 Excel 工作簿），请重新导出后上传。", code="unreadable"
        ) from exc


BATCH_RESULT_HEADER = [
    "序号",
    "行号",
    "查询内容",
    "核查结果",
    "主体名称",
    "统一社会信用代码/证件号码",
    "经营状态",
    "在列名单",
    "适用措施",
    "说明",
    "作为法定代表人",
]


def _xlsx_text(value) -> str:
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value or "")))


def batch_result_rows(checks: list[CreditCheck], queries: list[BatchQuery] | None = None):
    for index, check in enumerate(checks, start=1):
        result = check.result
        subject = result.get("subject") or {}
        if result["found"]:
            outcome = "找到"
        elif result.get("candidates"):
            outcome = "同名主体多个"
        else:
            outcome = "未找到"
        lists = "；".join(
            f"{item['list_type_name']}（{item['color_display']}，{item['department']}，"
            f"认定{item['recognised_on']}，{('有效期至' + item['valid_until']) if item['valid_until'] else '长期'}）"
            for item in result.get("lists", [])
        )
        measures = "；".join(
            f"{m['code']} {m['name']}（{m['kind_display']}，实施部门：{m['implementing_department']}）"
            for m in result.get("measures", [])
        )
        if not result["found"] and result.get("candidates"):
            candidates = "、".join(f"{c['name']} {c['public_code']}" for c in result["candidates"])
            note = f"{result['message']}：{candidates}"
        else:
            note = result["message"]
        yield [
            index,
            queries[index - 1].row if queries else "",
            result.get("query", check.query),
            outcome,
            subject.get("name", ""),
            subject.get("public_code", ""),
            subject.get("status_display", ""),
            lists,
            measures,
            note,
            "；".join(
                f"{item['organisation']}：{item['list_type_name']}（{item['department']}，认定{item['recognised_on']}）"
                for item in result.get("as_legal_representative", [])
            ),
        ]


def batch_result_xlsx(checks: list[CreditCheck], *, matter: Matter, queries: list[BatchQuery] | None = None) -> bytes:
    """The batch answer as a workbook: one row per input row, text cells neutralised against formulas."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("核查结果")
    sheet.append(BATCH_RESULT_HEADER)
    for row in batch_result_rows(checks, queries):
        sheet.append([value if isinstance(value, int) else _xlsx_text(value) for value in row])
    about = workbook.create_sheet("说明")
    found = sum(1 for c in checks if c.found)
    on = checks[0].result["checked_on"] if checks else timezone.localdate().isoformat()
    for line in (
        ["办理事项", _xlsx_text(matter.name)],
        ["核查日期", on],
        ["核查条数", len(checks)],
        ["找到主体", found],
        ["适用奖惩措施的主体", sum(1 for c in checks if c.result.get("measures"))],
    ):
        about.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

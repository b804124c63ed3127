"""What a credit check's answer is made of (selectors): the subject's active entries, its records in
publicity, the measures a matter attaches to its lists, and the answer assembled from them — one query per
chunk of subjects, so a batch of thousands costs a few queries."""

import datetime
from collections import defaultdict

from django.db.models.fields.json import KeyTextTransform

from apps.records.selectors import public_records
from apps.subjects.choices import OperatingStatus, SubjectKind
from apps.subjects.masking import mask_personal_numbers
from apps.subjects.models import Subject
from apps.subjects.selectors import Lookup, Resolution

from .choices import ListColor, MeasureKind
from .models import ListEntry, Matter, Measure

AMBIGUOUS_NAME_MESSAGE = "多个同名主体，请使用统一社会信用代码查询"


RECORDS_SHOWN = 50  # records in publicity listed per answer (the total is given as well)


CHUNK = 2000  # values per ``IN (…)`` in bulk reads


# Catalog field codes of the list_entry record type whose text the answer quotes.
ENTRY_BASIS_FIELD = "MD_RDYJ"  # 认定依据


ENTRY_REASON_FIELD = "MD_LRSY"  # 列入事由


_COLOR_ORDER = {ListColor.BLACK: 0, ListColor.WATCH: 1, ListColor.RED: 2}


_KIND_ORDER = {MeasureKind.PUNISHMENT: 0, MeasureKind.REWARD: 1}


# Labels looked up once (an enum call per row costs more than the rest of a batch row's answer).
_KIND_LABELS = dict(SubjectKind.choices)


_STATUS_LABELS = dict(OperatingStatus.choices)


_COLOR_LABELS = dict(ListColor.choices)


_MEASURE_KIND_LABELS = dict(MeasureKind.choices)


def matter_resolve(value) -> Matter:
    """A ``Matter`` or its code; ``Matter.DoesNotExist`` for an unknown code."""
    if isinstance(value, Matter):
        return value
    return Matter.objects.get(code=value)


# What an answer shows of a list entry: its list type, the recognising department, dates, the decision.
_ENTRY_COLUMNS = (
    "pk", "subject_id", "list_type_id", "list_type__code", "list_type__name", "list_type__color",
    "list_type__legal_basis", "list_type__triggers_measures", "department__name", "recognised_on", "valid_until",
    "legal_representative", "record__decision_number",
)  # fmt: skip


def _entry_texts() -> dict:
    """The entry's 认定依据 and 列入事由, read from its record's data."""
    return {
        "basis": KeyTextTransform(ENTRY_BASIS_FIELD, "record__data"),
        "reason": KeyTextTransform(ENTRY_REASON_FIELD, "record__data"),
    }


def entries_by_subject(subject_ids: list[int], on: datetime.date) -> dict[int, list[dict]]:
    """Active list entries of the subjects, list type and department included (one query per chunk)."""
    found = defaultdict(list)
    for start in range(0, len(subject_ids), CHUNK):
        chunk = subject_ids[start : start + CHUNK]
        rows = (
            ListEntry.objects.active(on=on)
            .filter(subject_id__in=chunk)
            .order_by("-recognised_on", "-pk")
            .values(*_ENTRY_COLUMNS, **_entry_texts())
        )
        for row in rows:
            found[row["subject_id"]].append(row)
    return found


def records_by_subject(subject_ids: list[int], on: datetime.date) -> dict[int, list[dict]]:
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


def measures_by_list_type(matter: Matter, on: datetime.date, list_type_ids=None) -> dict[int, list[dict]]:
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


def check_answer(
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


def legal_rep_liability_add(answered: list[tuple[Subject | None, dict]], on: datetime.date) -> None:
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
                *_ENTRY_COLUMNS, "legal_rep_id_hash", "record__subject_name", "record__subject_code", **_entry_texts()
            )
        )
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

"""Reads of the subject registry, and resolving what someone typed (a code or a name) to one subject.

The 重错码 figures are computed in the database with set-based queries (one
GROUP BY over the ``uscc`` index, one partial index for 错码) so they stay fast
at a million subjects; nothing here loops over all subjects in Python.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from .choices import LEGACY_CODE_FIELDS, SubjectKind
from .codes import check_id_number, mask_id_number, normalise_code
from .masking import mask_personal_numbers
from .models import Subject
from .pii import id_number_hash

# A query that looks like an identifier (letters and digits only, at least one
# digit) is looked up in the code columns, where every lookup is indexed.
CODE_LIKE = re.compile(r"(?=.*[0-9])[0-9A-Z]{6,30}")
_ID_FORM = re.compile(r"[0-9]{17}[0-9X]")


def is_code_like(code: str) -> bool:
    return bool(CODE_LIKE.fullmatch(code))


def _legacy_code_q(code: str) -> Q:
    q = Q()
    for field_name, _label in LEGACY_CODE_FIELDS:
        q |= Q(**{field_name: code})
    return q


def subject_find_by_code(raw_code: str) -> Subject | None:
    """Find a subject by USCC, ID number (via its keyed hash) or any legacy code."""
    code = normalise_code(raw_code)
    if not code:
        return None
    subject = Subject.objects.filter(uscc=code).order_by("pk").first()
    if subject is None and len(code) == 18:
        subject = Subject.objects.filter(id_number_hash=id_number_hash(code)).order_by("pk").first()
    if subject is None:
        # Not ORDER BY id LIMIT 1: for a code nobody has (a tenth of credit checks) PostgreSQL walked the
        # whole primary key hoping to meet a match early — 2.5 s at 6.7 M subjects (bench/scale_bench.py,
        # docs/scale.md). Without the LIMIT it reads the five partial code indexes (0.3 ms); matches are few.
        found = list(Subject.objects.filter(_legacy_code_q(code)).order_by().values_list("pk", flat=True))
        subject = Subject.objects.get(pk=min(found)) if found else None
    return subject


def subject_search(*, query: str, queryset: QuerySet | None = None) -> QuerySet:
    """Subjects matching a name fragment or any of their codes.

    A code-like query matches the USCC (exactly, or as a prefix when shorter
    than 18 characters), every legacy code, and the ID number through its keyed
    hash, so a staff member can paste a number without saying which kind it is.
    Anything else is a name fragment. The two are not combined: an OR with a
    ``LIKE '%…%'`` would make the database scan every row even for an exact code.
    """
    queryset = Subject.objects.all() if queryset is None else queryset
    text = (query or "").strip()
    if not text:
        return queryset
    code = normalise_code(text)
    if not is_code_like(code):
        return queryset.filter(name__icontains=text)
    q = Q(uscc=code) | _legacy_code_q(code)
    if len(code) < 18:
        q |= Q(uscc__startswith=code)
    if len(code) == 18:
        q |= Q(id_number_hash=id_number_hash(code))
    return queryset.filter(q)


# --- 重错码 ---------------------------------------------------------------------


def duplicate_codes() -> QuerySet:
    """重码: USCCs carried by two or more subjects with different names.

    ``GROUP BY uscc HAVING COUNT(DISTINCT name) > 1``, restricted first to the
    codes that occur more than once: that inner ``GROUP BY uscc HAVING
    COUNT(*) > 1`` is an index-only scan of the ``uscc`` index, so the distinct
    name count (which needs the table rows) only runs for the few repeated
    codes — about 0.4 s instead of 1.1 s at a million subjects. The same code
    under the same name (a subject entered twice) is a duplicate record, not 重码.
    Rows: ``{"uscc", "names", "subjects", "valid_subjects"}``.
    """
    repeated = (
        Subject.objects.exclude(uscc="").values("uscc").annotate(rows=Count("*")).filter(rows__gt=1).values("uscc")
    )
    return (
        Subject.objects.filter(uscc__in=repeated)
        .values("uscc")
        .annotate(
            names=Count("name", distinct=True),
            subjects=Count("pk"),
            valid_subjects=Count("pk", filter=Q(code_valid=True)),
        )
        .filter(names__gt=1)
        .order_by("uscc")
    )


def erroneous_subjects() -> QuerySet:
    """错码: subjects whose USCC fails validation (reasons in ``code_warnings``)."""
    return Subject.objects.filter(code_valid=False).order_by("uscc", "pk")


def suspect_subjects() -> QuerySet:
    """疑似错码: valid codes with a warning (bad organisation-code check, unknown region)."""
    return Subject.objects.filter(code_valid=True).exclude(uscc="").exclude(code_warnings=[]).order_by("uscc", "pk")


@dataclass(frozen=True)
class CodeQualitySummary:
    subjects: int
    duplicate_codes: int
    erroneous_codes: int
    affected_subjects: int
    suspect_codes: int

    @property
    def rate(self) -> float:
        """重错码率 = affected subjects / all subjects (target 0)."""
        return self.affected_subjects / self.subjects if self.subjects else 0.0

    @property
    def rate_percent(self) -> str:
        # Four decimals in percent still shows a single affected subject in a million.
        return "0%" if not self.affected_subjects else f"{self.rate * 100:.4f}%"

    def as_dict(self) -> dict:
        return {
            "subjects": self.subjects,
            "duplicate_codes": self.duplicate_codes,
            "erroneous_codes": self.erroneous_codes,
            "affected_subjects": self.affected_subjects,
            "rate": round(self.rate, 6),
        }


def code_quality_summary() -> CodeQualitySummary:
    """The 重错码 figures in four queries, whatever the number of subjects.

    A subject whose code is both 重码 and 错码 counts once among the affected:
    affected = 错码 subjects + the *valid* subjects under a duplicate code, two
    disjoint sets. (A single ``WHERE NOT code_valid OR uscc IN (…)`` would be
    simpler but PostgreSQL cannot turn an OR'ed IN into a join and re-runs the
    subquery per row: minutes at a million rows.)
    """
    duplicates = duplicate_codes().order_by().aggregate(codes=Count("*"), valid_members=Sum("valid_subjects"))
    erroneous = erroneous_subjects().count()
    return CodeQualitySummary(
        subjects=Subject.objects.count(),
        duplicate_codes=duplicates["codes"],
        erroneous_codes=erroneous,
        affected_subjects=erroneous + (duplicates["valid_members"] or 0),
        suspect_codes=suspect_subjects().count(),
    )


def duplicate_code_groups(*, limit: int = 200) -> list[dict]:
    """The first ``limit`` duplicate codes with the subjects that carry them.

    Only the shown codes' subjects are fetched (one query by ``uscc IN …``).
    """
    rows = list(duplicate_codes()[:limit])
    by_code = defaultdict(list)
    members = Subject.objects.filter(uscc__in=[row["uscc"] for row in rows]).only(
        "pk", "name", "uscc", "kind", "status"
    )
    for subject in members.order_by("uscc", "name", "pk"):
        by_code[subject.uscc].append(subject)
    return [{**row, "members": by_code[row["uscc"]]} for row in rows]


# --- resolving what someone typed to one subject (credit checks, one by one or by file) -----------------

LOGGED_QUERY_MAX = 200  # what a check keeps of the query (lists.CreditCheck.query)
RESOLVE_CANDIDATES = 20  # same-name subjects offered when a name is ambiguous
RESOLVE_CHUNK = 2000  # values per ``IN (…)`` in bulk reads
RESOLVE_FIELDS = ("pk", "kind", "name", "uscc", "id_number_masked", "legal_representative", "status")


class Lookup:
    AUTO = "auto"  # by code when the query looks like one, else (or when no code matches) by exact name
    CODE = "code"
    NAME = "name"


@dataclass
class Resolution:
    query: str  # as logged and echoed: an ID number is masked
    subject: Subject | None = None
    candidates: list[Subject] = field(default_factory=list)
    by: str = ""  # "code" or "name": how the query was read

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


def _logged_query(raw: str, code: str, subject: Subject | None) -> str:
    """What is stored and echoed: a resident ID number never appears in clear."""
    text = raw.strip()
    if _ID_FORM.fullmatch(code) and not (subject is not None and subject.uscc == code):
        if check_id_number(code).valid or (subject is not None and subject.kind == SubjectKind.PERSON):
            return mask_id_number(code)
    return mask_personal_numbers(text)[:LOGGED_QUERY_MAX]


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
    for start in range(0, len(keys), RESOLVE_CHUNK):
        chunk = keys[start : start + RESOLVE_CHUNK]
        for subject in Subject.objects.filter(name__in=chunk).only(*RESOLVE_FIELDS).order_by("pk"):
            for name in wanted[subject.name]:
                found[name].append(subject)
    return found


def _resolved(raw: str, code: str, matches: list[Subject], *, looked_as_code: bool) -> Resolution:
    """After the name lookup: one match, several (ask for the code), or none (say how it was looked for)."""
    if len(matches) == 1:
        return Resolution(_logged_query(raw, code, matches[0]), matches[0], [], Lookup.NAME)
    by = Lookup.CODE if looked_as_code and not matches else Lookup.NAME
    return Resolution(_logged_query(raw, code, None), None, matches[:RESOLVE_CANDIDATES], by)


def subject_resolve(raw_query: str, *, lookup: str = Lookup.AUTO) -> Resolution:
    """One query: by code (USCC, ID number, legacy codes), else by exact name."""
    raw = (raw_query or "").strip()
    code = normalise_code(raw)
    as_code = lookup != Lookup.NAME and (lookup == Lookup.CODE or is_code_like(code))
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
        as_code = lookup != Lookup.NAME and (lookup == Lookup.CODE or is_code_like(code))
        prepared.append((raw, code, lookup, as_code))
        if as_code and code:
            codes.add(code)

    by_code: dict[str, Subject] = {}

    def read(qs, keys_of):
        # Highest id first so that the lowest id is written last and wins.
        for subject in qs.only(*RESOLVE_FIELDS, *(f for f, _ in LEGACY_CODE_FIELDS)).order_by("-pk"):
            for key in keys_of(subject):
                by_code[key] = subject

    pending = sorted(codes)
    for start in range(0, len(pending), RESOLVE_CHUNK):
        chunk = pending[start : start + RESOLVE_CHUNK]
        read(Subject.objects.filter(uscc__in=chunk), lambda s: [s.uscc])
    pending = [c for c in pending if c not in by_code]
    hashes = {id_number_hash(c): c for c in pending if len(c) == 18}
    hash_keys = list(hashes)
    found_by_hash: dict[str, Subject] = {}
    for start in range(0, len(hash_keys), RESOLVE_CHUNK):
        chunk = hash_keys[start : start + RESOLVE_CHUNK]
        for subject in Subject.objects.filter(id_number_hash__in=chunk).only(*RESOLVE_FIELDS, "id_number_hash"):
            code = hashes[subject.id_number_hash]
            if code not in found_by_hash or subject.pk < found_by_hash[code].pk:
                found_by_hash[code] = subject
    by_code.update(found_by_hash)
    pending = [c for c in pending if c not in by_code]
    legacy_found: dict[str, Subject] = {}
    for start in range(0, len(pending), RESOLVE_CHUNK):
        chunk = pending[start : start + RESOLVE_CHUNK]
        chunk_set = set(chunk)
        q = Q()
        for field_name, _label in LEGACY_CODE_FIELDS:
            q |= Q(**{f"{field_name}__in": chunk})
        for subject in Subject.objects.filter(q).only(*RESOLVE_FIELDS, *(f for f, _ in LEGACY_CODE_FIELDS)):
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

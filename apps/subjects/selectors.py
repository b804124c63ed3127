"""Reads of the subject registry.

The 重错码 figures are computed in the database with set-based queries (one
GROUP BY over the ``uscc`` index, one partial index for 错码) so they stay fast
at a million subjects; nothing here loops over all subjects in Python.
"""

import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from .choices import LEGACY_CODE_FIELDS
from .codes import normalise_code
from .models import Subject
from .pii import id_number_hash

# A query that looks like an identifier (letters and digits only, at least one
# digit) is looked up in the code columns, where every lookup is indexed.
_CODE_LIKE = re.compile(r"(?=.*[0-9])[0-9A-Z]{6,30}")


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
        subject = Subject.objects.filter(_legacy_code_q(code)).order_by("pk").first()
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
    if not _CODE_LIKE.fullmatch(code):
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

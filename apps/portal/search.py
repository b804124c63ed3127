"""The portal's subject search: by USCC or a legacy code, else by name fragments over the name side table.

Reads only the public columns (``selectors.SUBJECT_PUBLIC_FIELDS``); a person is found only while something
about them is public (``publicly_shown_subjects``), and names are matched and echoed masked.
"""

import datetime
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections, router, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from apps.lists.selectors import public_entries
from apps.records.selectors import public_records
from apps.subjects.choices import LEGACY_CODE_FIELDS, OperatingStatus, SubjectKind
from apps.subjects.codes import normalise_code
from apps.subjects.masking import mask_personal_numbers
from apps.subjects.models import Subject
from apps.subjects.selectors import is_code_like

from .selectors import PENALTY_TYPE, SUBJECT_PUBLIC_FIELDS, subject_public_code

MIN_NAME_CHARS = 2


def _name_ids_sql(persons: bool | None) -> str:
    """Ids of subjects whose name holds every bigram of the term (``%s``).

    The bigrams live in the side table ``portal_subject_name`` (portal migrations 0003–0004), one
    partition with its GIN index for organisations and one for persons; reading one partition, the
    planner estimates a fragment from that side's own statistics (``有限`` is frequent among companies
    and absent among persons: a plain scan that stops at the limit on one side, the index on the
    other). The query's bigrams are computed by the same SQL function as the table's, so case folding
    never differs between the two sides. Subjects registered since the last refresh are not there
    yet: ``queued_candidates`` finds them in the queue.
    """
    # The partition itself, not the parent with a ``person`` condition: a partition is a plain table with
    # a unique key on ``subject_id``, so the planner may drive the join from it without de-duplicating.
    table = {True: "portal_subject_name_person", False: "portal_subject_name_org", None: "portal_subject_name"}
    return f"SELECT n.subject_id FROM {table[persons]} n WHERE n.bigrams @> portal_name_bigrams(%s)"  # noqa: S608 — one of three literals


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


def _side(*, on: datetime.date, persons: bool) -> QuerySet:
    if persons:
        base = publicly_shown_subjects(on=on).filter(kind=SubjectKind.PERSON)
    else:
        base = Subject.objects.exclude(kind=SubjectKind.PERSON)
    return base.only(*SUBJECT_PUBLIC_FIELDS).order_by()


def name_candidates(*, terms: list[str], on: datetime.date, persons: bool) -> QuerySet:
    """Unordered name matches among organisations, or among the persons the portal shows.

    Each side has its own partition of the name side table, with its own GIN index and statistics,
    so a fragment frequent in company names costs nothing among persons. No ORDER BY: the caller
    reads the first few the plan yields.
    """
    return name_filter(_side(on=on, persons=persons), terms, persons=persons)


def queued_candidates(*, terms: list[str], on: datetime.date, persons: bool) -> QuerySet | None:
    """Name matches among the subjects not yet in the side table (None where there is no side table).

    A new subject is searchable as soon as it is committed: its id waits in the queue until the next
    refresh. A query of its own, not a UNION with ``name_candidates``: under a UNION (even UNION ALL)
    the planner no longer plans each side for the few rows the limit reads — at 10 M records ``有限``
    hashed two million organisations (2.3 s) where the side alone reads 201 rows by a merge join (4 ms).
    """
    if not (_uses_bigram_index() and any(len(term) >= MIN_NAME_CHARS for term in terms)):
        return None
    queued = _side(on=on, persons=persons).filter(pk__in=RawSQL(_QUEUED_IDS_SQL, []))  # noqa: S611 — a constant
    for term in terms:
        queued = queued.filter(name__icontains=term)
    return queued


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
            for persons in (False, True):
                rows += name_candidates(terms=terms, on=on, persons=persons)[: limit + 1]
                queued = queued_candidates(terms=terms, on=on, persons=persons)
                if queued is not None:
                    rows += queued[: limit + 1]
        # A name is matched as the public sees it: the digits masked in a name (``赵六（身份证371083…）``)
        # must not be found one by one by searching for them. A renamed subject may come both from the
        # side table (its old bigrams) and from the queue: kept once.
        matches = {s.pk: s for s in rows if all(t.lower() in mask_personal_numbers(s.name).lower() for t in terms)}
        rows = sorted(matches.values(), key=lambda s: _rank(s.name, text))
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

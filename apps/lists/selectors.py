"""Reads of lists: what a department or the center may see, what the public may see, the measures list.

Department staff see their own department's entries only; the credit center
sees all. Another department's entry is ``DoesNotExist`` exactly as a missing
one, so guessing ids shows nothing. Public reads are the entries in force today
whose list type is public; nothing here loads ``Record.private_data``.
"""

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.subjects.codes import check_id_number, mask_id_number
from apps.subjects.masking import mask_personal_numbers
from credit_portal.prepared import PreparedQuery

from .choices import COUNTING_RECORD_STATUSES, EntryState, ListColor, MeasureKind
from .models import ListEntry, ListType, Matter, Measure

# Catalog fields of the ``list_entry`` type read on the entry pages (national template codes).
LEGAL_BASIS_CODE = "MD_RDYJ"
REASON_CODE = "MD_LRSY"
PERSON_KIND = "自然人"


def sees_all(user) -> bool:
    return has_role(user, CENTER_ROLES)


def can_manage_entry(user, entry: ListEntry) -> bool:
    """Removal and 约谈 are for the recognising department and the credit center."""
    return sees_all(user) or (bool(user.department_id) and user.department_id == entry.department_id)


# --- staff --------------------------------------------------------------------------


def _scoped(qs: QuerySet, user) -> QuerySet:
    if sees_all(user):
        return qs
    department_id = getattr(user, "department_id", None)
    if not department_id:
        return qs.none()
    return qs.filter(department_id=department_id)


def staff_entries(*, user) -> QuerySet:
    qs = ListEntry.objects.select_related("list_type", "department", "record").defer(
        "record__private_data", "record__data"
    )
    return _scoped(qs, user)


def staff_entry(*, user, pk: int) -> ListEntry:
    """``ListEntry.DoesNotExist`` for another department's entry, exactly as for a missing one."""
    qs = ListEntry.objects.select_related("list_type", "department", "subject", "record__record_type").defer(
        "record__private_data"
    )
    return _scoped(qs, user).get(pk=pk)


def entry_in_force(entry: ListEntry, *, on: datetime.date) -> bool:
    """The Python twin of ``ListEntryQuerySet.active`` for one loaded entry."""
    record = entry.record
    return (
        entry.state == EntryState.LISTED
        and record.status in COUNTING_RECORD_STATUSES
        and not record.repaired
        and entry.recognised_on <= on
        and (entry.valid_until is None or entry.valid_until >= on)
    )


# --- public -------------------------------------------------------------------------


def public_list_types() -> QuerySet:
    return ListType.objects.filter(is_public=True).order_by("color", "sort_order", "code")


def public_entries(*, on: datetime.date) -> QuerySet:
    """Entries the public may see on a day: in force and on a public list type."""
    return (
        ListEntry.objects.active(on=on)
        .filter(list_type__is_public=True)
        .select_related("list_type", "department", "record")
        .only(
            "pk",
            "recognised_on",
            "valid_until",
            "legal_representative",
            "state",
            "list_type__name",
            "list_type__color",
            "list_type__code",
            "department__name",
            "record__subject_name",
            "record__subject_code",
            "record__subject_kind",
            "record__decision_number",
            "record__under_objection",
            "record__under_repair",
        )
        .order_by("-recognised_on", "-pk")
    )


def public_entry(*, pk: int, on: datetime.date) -> ListEntry:
    """One entry as the public may see it; ``ListEntry.DoesNotExist`` when it is not shown."""
    return (
        ListEntry.objects.active(on=on)
        .filter(list_type__is_public=True)
        .select_related("list_type", "department", "record")
        .defer("record__private_data")
        .get(pk=pk)
    )


def public_code(code: str) -> str:
    """The subject code as the public may see it: a full resident ID number is never shown."""
    code = (code or "").strip()
    if len(code) == 18 and "*" not in code and check_id_number(code).valid:
        return mask_id_number(code.upper())
    return code


@dataclass(frozen=True)
class PublicEntry:
    """The public fields of an entry, already masked."""

    pk: int
    subject_name: str
    subject_code: str
    subject_kind: str
    list_type: str
    color: str
    color_label: str
    department: str
    decision_number: str
    recognised_on: datetime.date
    valid_until: datetime.date | None
    legal_basis: str
    reason: str
    legal_representative: str
    under_objection: bool
    under_repair: bool


def public_view(entry: ListEntry, *, with_details: bool = False) -> PublicEntry:
    record = entry.record
    data = (record.data or {}) if with_details else {}
    # 文登 #20: a black-listed organisation's legal representative is named (never the ID number).
    show_rep = with_details and entry.list_type.color == ListColor.BLACK and record.subject_kind != PERSON_KIND
    return PublicEntry(
        pk=entry.pk,
        subject_name=mask_personal_numbers(record.subject_name),
        subject_code=public_code(record.subject_code),
        subject_kind=record.subject_kind,
        list_type=entry.list_type.name,
        color=entry.list_type.color,
        color_label=ListColor(entry.list_type.color).label,
        department=entry.department.name,
        decision_number=mask_personal_numbers(record.decision_number),
        recognised_on=entry.recognised_on,
        valid_until=entry.valid_until,
        legal_basis=mask_personal_numbers(str(data.get(LEGAL_BASIS_CODE) or "")),
        reason=mask_personal_numbers(str(data.get(REASON_CODE) or "")),
        legal_representative=mask_personal_numbers(entry.legal_representative) if show_rep else "",
        under_objection=record.under_objection,
        under_repair=record.under_repair,
    )


_SUBJECT_ENTRY_COLUMNS = (
    "pk",
    "record__subject_name",
    "record__subject_code",
    "record__subject_kind",
    "list_type__name",
    "list_type__color",
    "department__name",
    "record__decision_number",
    "recognised_on",
    "valid_until",
    "record__under_objection",
    "record__under_repair",
)
_SUBJECT_ENTRIES = PreparedQuery(
    lambda *, pk, on, key: public_entries(on=on).filter(subject_id=pk).values_list(*_SUBJECT_ENTRY_COLUMNS),
    pk=int,
    on=datetime.date,
)


def subject_public_entries(*, subject_id: int, on: datetime.date) -> list[PublicEntry]:
    """A subject's public entries (its profile and report), as ``public_view`` shows them without details.

    The same ``public_entries()`` query, compiled once per process (credit_portal/prepared.py):
    the profile page runs it for every visitor.
    """
    entries = []
    for (
        pk,
        name,
        code,
        kind,
        list_type,
        color,
        department,
        number,
        recognised,
        valid,
        objection,
        repair,
    ) in _SUBJECT_ENTRIES.rows(pk=subject_id, on=on):
        entries.append(
            PublicEntry(
                pk=pk,
                subject_name=mask_personal_numbers(name),
                subject_code=public_code(code),
                subject_kind=kind,
                list_type=list_type,
                color=color,
                color_label=ListColor(color).label,
                department=department,
                decision_number=mask_personal_numbers(number),
                recognised_on=recognised,
                valid_until=valid,
                legal_basis="",
                reason="",
                legal_representative="",
                under_objection=objection,
                under_repair=repair,
            )
        )
    return entries


# --- measures -----------------------------------------------------------------------


def latest_measures() -> QuerySet:
    """The newest version of every measure code (the row a revision starts from)."""
    newest = Measure.objects.filter(code=OuterRef("code")).order_by("-version").values("version")[:1]
    return (
        Measure.objects.filter(version=Subquery(newest))
        .prefetch_related("list_types", "matters")
        .order_by("kind", "code")
    )


def measure_versions(code: str) -> QuerySet:
    return Measure.objects.filter(code=code).prefetch_related("list_types", "matters").order_by("-version")


def measure_state(measure: Measure, *, on: datetime.date) -> str:
    if not measure.is_active:
        return "停用"
    if measure.effective_from > on:
        return "待生效"
    if measure.effective_to is not None and measure.effective_to < on:
        return "已失效"
    return "现行"


def public_measures(*, on: datetime.date, kind: str = "", q: str = "") -> QuerySet:
    """The measures list as published (文登 #18: 动态更新并向社会公开): the versions in force on ``on``.

    A revision or retirement shows up the day it takes effect, because the page reads the versions by
    their dates, not a copy. Only public list types are named; staff-only fields (state, history) stay out.
    """
    qs = Measure.objects.in_force(on=on)
    if kind in MeasureKind.values:
        qs = qs.filter(kind=kind)
    text = (q or "").strip()
    if text:
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(content__icontains=text)
            | Q(legal_basis__icontains=text)
            | Q(implementing_department__icontains=text)
            | Q(code__iexact=text)
        )
    return qs.prefetch_related(
        Prefetch("list_types", queryset=public_list_types().only("pk", "name", "color")),
        Prefetch("matters", queryset=Matter.objects.only("pk", "name")),
    ).order_by("kind", "code", "-version")

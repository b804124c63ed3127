"""Reads of records: what the public may see, what a department or the center may see, what is exported.

Every queryset here defers ``private_data`` (the encrypted ID numbers), so no
read path for the public, the API or the export ever loads it.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.catalog.choices import Family, FieldType
from apps.catalog.models import FieldSpec, RecordType
from apps.subjects.codes import mask_id_number
from apps.subjects.masking import mask_personal_numbers
from credit_portal.policy_cache import policy_cache

from .choices import Status
from .models import Record

# Families published on the 信用信息公示 pages: 双公示 and the other administrative behaviours.
# Specific information is never public; self-declared information is not an administrative decision.
PUBLIC_FAMILIES = (Family.DOUBLE_PUBLICITY, Family.ADMINISTRATIVE)
# What goes to the provincial platform: everything reported, whether or not still publicised.
EXPORT_STATUSES = (Status.PUBLISHED, Status.EXPIRED)
OPEN_ENDED = "2099-12-31"
MULTI_JOIN = ";"


# --- public ---------------------------------------------------------------------


def public_record_types() -> QuerySet:
    return RecordType.objects.filter(is_public=True, is_active=True, family__in=PUBLIC_FAMILIES).order_by(
        "sort_order", "code"
    )


def public_records(*, on: datetime.date) -> QuerySet:
    """Records the public may see on a day: in their publicity window, not withdrawn by repair (``in_publicity``)."""
    return (
        Record.objects.in_publicity(on=on)
        .filter(record_type__family__in=PUBLIC_FAMILIES, record_type__is_active=True)
        .select_related("record_type", "department")
        .defer("private_data")
        .order_by("-decision_date", "-pk")
    )


def public_record(*, pk: int, on: datetime.date) -> Record:
    """One record as the public may see it; ``Record.DoesNotExist`` when it is not publicly visible."""
    return public_records(on=on).get(pk=pk)


def public_field_specs(record_type_ids=None) -> dict[int, list[FieldSpec]]:
    """Public fields per record type, in catalog order (one query for all types)."""
    specs = FieldSpec.objects.filter(is_public=True).order_by("record_type_id", "order", "pk")
    if record_type_ids is not None:
        specs = specs.filter(record_type_id__in=set(record_type_ids))
    by_type = defaultdict(list)
    for spec in specs.only("record_type", "code", "label", "field_type", "role", "order"):
        by_type[spec.record_type_id].append(spec)
    return dict(by_type)


# Every public field spec of every type, kept per process (credit_portal/policy_cache.py): the
# profile page and report read them for every subject; the credit center edits them a few times a year.
cached_public_field_specs = policy_cache.register(
    "records.public_field_specs", lambda: public_field_specs(), models=("catalog.FieldSpec", "catalog.RecordType")
)


def public_value(spec: FieldSpec, value) -> str:
    """A field value as shown to the public: lists joined, 长期 for open-ended, ID and mobile numbers masked."""
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        text = MULTI_JOIN.join(str(v) for v in value)
    else:
        text = str(value)
    if spec.field_type == FieldType.OPEN_DATE and text == OPEN_ENDED:
        return "长期"
    if spec.field_type == FieldType.ID_NUMBER:
        # Stored masked already; never trust that for a public page.
        return text if "*" in text else mask_id_number(text.upper())
    return mask_personal_numbers(text)


@dataclass(frozen=True)
class PublicField:
    code: str
    label: str
    value: str


def public_fields(record: Record, specs: list[FieldSpec]) -> list[PublicField]:
    """The record's public fields, labels from the catalog, in catalog order (empty ones left out)."""
    data = record.data or {}
    fields = []
    for spec in specs:
        value = public_value(spec, data.get(spec.code))
        if value:
            fields.append(PublicField(spec.code, spec.label, value))
    return fields


# --- staff -----------------------------------------------------------------------


def _sees_all(user) -> bool:
    return has_role(user, CENTER_ROLES)


def staff_records(*, user) -> QuerySet:
    """Records a member of staff or a department system may read: its own department's, or all for the center."""
    qs = (
        Record.objects.select_related("record_type", "department")
        .defer("private_data")
        .order_by("-decision_date", "-pk")
    )
    if _sees_all(user):
        return qs
    department_id = getattr(user, "department_id", None)
    if not department_id:
        return qs.none()
    return qs.filter(department_id=department_id)


def staff_record(*, user, pk: int) -> Record:
    """``Record.DoesNotExist`` for another department's record, exactly as for a missing one."""
    return staff_records(user=user).get(pk=pk)


# --- export -------------------------------------------------------------------------


def export_records(
    *,
    record_type: RecordType,
    department=None,
    basis: str = "decision",
    date_from: datetime.date,
    date_to: datetime.date,
) -> QuerySet:
    """Reported records of one type and period, for the provincial platform.

    ``basis`` is ``"decision"`` (决定日期) or ``"reported"`` (报送日期, local date
    of ``reported_at``). ``department=None`` means every department.
    """
    qs = Record.objects.filter(record_type=record_type, status__in=EXPORT_STATUSES)
    if department is not None:
        qs = qs.filter(department=department)
    if basis == "reported":
        qs = qs.filter(reported_at__date__gte=date_from, reported_at__date__lte=date_to)
        order = ("reported_at", "pk")
    else:
        qs = qs.filter(decision_date__gte=date_from, decision_date__lte=date_to)
        order = ("decision_date", "pk")
    return qs.order_by(*order)


def export_field_specs(record_type: RecordType) -> list[FieldSpec]:
    """All fields of the type in catalog order: the national template's columns."""
    return list(record_type.fields.order_by("order", "pk").only("code", "label", "field_type", "order"))

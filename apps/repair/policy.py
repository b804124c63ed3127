"""The repair and objection rules read from the versioned policy rows (``apps.catalog.Policy``).

Nothing here is a constant: repairable types, minimum periods, required
materials and every step's working-day limit are Policy rows with the day they
take effect (loaded from ``fixtures/repair_policies.json``, changed by staff).
"""

import datetime

from dateutil.relativedelta import relativedelta

from apps.catalog.choices import PolicyKey
from apps.catalog.models import Policy
from apps.records.policy import PolicyMissing, policy_value
from apps.workdays.services import DeadlineResult, workdays_add

from .choices import MaterialKind


def _value(key, *, record_type, on, default=PolicyMissing):
    if default is PolicyMissing:
        return policy_value(key, record_type=record_type, on=on)
    row = Policy.objects.in_force(key, on=on, record_type=record_type)
    return default if row is None else row.value


def repair_allowed(*, record_type, on: datetime.date) -> bool:
    return bool(_value(PolicyKey.REPAIR_ALLOWED, record_type=record_type, on=on, default=False))


def repair_earliest(*, record, on: datetime.date) -> datetime.date | None:
    """The first day a repair may be applied for: the end of the minimum publicity period.

    Penalties carry it on the record (``publicity_min_end``, by the policy in force
    on the decision date); other types (list entries) take ``repair_min_months``
    from the decision date. ``None`` when no minimum applies.
    """
    if record.publicity_min_end:
        return record.publicity_min_end
    months = _value(PolicyKey.REPAIR_MIN_MONTHS, record_type=record.record_type, on=record.decision_date, default=None)
    if months is None:
        return None
    return record.decision_date + relativedelta(months=int(months))


def required_materials(*, record, on: datetime.date) -> list[str]:
    kinds = list(_value(PolicyKey.REPAIR_MATERIALS, record_type=record.record_type, on=on, default=[]) or [])
    if record.severity == "serious":
        extra = _value(PolicyKey.REPAIR_SERIOUS_MATERIALS, record_type=record.record_type, on=on, default=[]) or []
        kinds += [k for k in extra if k not in kinds]
    return [k for k in kinds if k in MaterialKind.values]


def step_due(key: str, *, record_type, start: datetime.date) -> DeadlineResult:
    """``start`` plus the step's working days (the start day itself not counted), by the policy in force on ``start``."""
    days = int(_value(key, record_type=record_type, on=start))
    return workdays_add(start=start, days=days)


def due_soon_days(*, on: datetime.date) -> int:
    return int(_value(PolicyKey.CASE_DUE_SOON_DAYS, record_type=None, on=on, default=1))


__all__ = ["PolicyMissing", "repair_allowed", "repair_earliest", "required_materials", "step_due", "due_soon_days"]

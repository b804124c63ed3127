"""Deadlines and publicity windows from the versioned policy rows (apps.catalog.Policy)."""

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from apps.catalog.choices import PolicyKey
from apps.catalog.models import Policy, RecordType

from .choices import Severity


class PolicyMissing(Exception):
    pass


def policy_value(key: str, *, record_type: RecordType, on: datetime.date):
    row = Policy.objects.in_force(key, on=on, record_type=record_type)
    if row is None:
        raise PolicyMissing(f"缺少政策参数“{PolicyKey(key).label}”（{on} 起适用），请信用中心在政策参数中补充。")
    return row.value


class PolicyCache:
    """Policy look-ups memoised for one batch: the same few keys answer every row."""

    def __init__(self, record_type: RecordType):
        self.record_type = record_type
        self._memo = {}
        self._rows = list(Policy.objects.filter(record_type__in=[record_type]).order_by("-effective_from")) + list(
            Policy.objects.filter(record_type__isnull=True).order_by("-effective_from")
        )

    def own(self, key: str, on: datetime.date):
        """The value of the record type's own row in force (``None`` if the type has none; global rows ignored)."""
        memo_key = ("own", key, on)
        if memo_key not in self._memo:
            found = next(
                (
                    row
                    for row in self._rows
                    if row.key == key and row.effective_from <= on and row.record_type_id == self.record_type.pk
                ),
                None,
            )
            self._memo[memo_key] = None if found is None else found.value
        return self._memo[memo_key]

    def get(self, key: str, on: datetime.date, default=PolicyMissing):
        memo_key = (key, on)
        if memo_key not in self._memo:
            found = next((row for row in self._rows if row.key == key and row.effective_from <= on), None)
            if found is None:
                if default is PolicyMissing:
                    raise PolicyMissing(f"缺少政策参数“{PolicyKey(key).label}”（{on} 起适用），请信用中心补充。")
                self._memo[memo_key] = default
            else:
                self._memo[memo_key] = found.value
        return self._memo[memo_key]


@dataclass
class Publicity:
    is_publicised: bool
    min_end: datetime.date | None
    end: datetime.date | None


def publicity_for(
    *,
    policies: PolicyCache,
    decision_date: datetime.date,
    severity: str,
    penalty_kinds=None,
    fine=None,
    declared_end=None,
) -> Publicity:
    """The publicity window of a record, by the policy in force on its decision date."""
    record_type = policies.record_type
    if not record_type.is_public:
        return Publicity(False, None, None)
    # A type without 处罚类别 (a licence, a list entry) has one publicity period; one that has its own
    # severity periods (a commitment breach, 违诺) is a 失信 record graded like a penalty.
    graded = policies.own(PolicyKey.PUBLICITY_GENERAL_MAX_MONTHS, decision_date) is not None
    if penalty_kinds is None and not graded:
        months = policies.get(PolicyKey.PUBLICITY_MONTHS, decision_date)
        return Publicity(True, None, decision_date + relativedelta(months=months))
    unpublished = set(policies.get(PolicyKey.UNPUBLISHED_PENALTY_KINDS, decision_date, default=[]) or [])
    fine_cap = policies.get(PolicyKey.UNPUBLISHED_FINE_MAX, decision_date, default=None)
    minor = bool(penalty_kinds) and set(penalty_kinds) <= (unpublished | ({"罚款"} if fine_cap is not None else set()))
    if minor and fine_cap is not None and "罚款" in penalty_kinds and (fine is None or fine > fine_cap):
        minor = False
    if minor or severity == Severity.MINOR:
        # 令36号: 轻微失信 is not publicised.
        return Publicity(False, None, None)
    if severity == Severity.SERIOUS:
        min_key, max_key = PolicyKey.PUBLICITY_SERIOUS_MIN_MONTHS, PolicyKey.PUBLICITY_SERIOUS_MAX_MONTHS
    else:
        min_key, max_key = PolicyKey.PUBLICITY_GENERAL_MIN_MONTHS, PolicyKey.PUBLICITY_GENERAL_MAX_MONTHS
    min_end = decision_date + relativedelta(months=policies.get(min_key, decision_date))
    max_end = decision_date + relativedelta(months=policies.get(max_key, decision_date))
    # A department may set an earlier 公示截止期, never one past the policy maximum
    # nor before the minimum.
    end = max_end if declared_end is None else max(min(declared_end, max_end), min_end)
    return Publicity(True, min_end, end)

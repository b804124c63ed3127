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


_ABSENT = object()


@dataclass
class Publicity:
    is_publicised: bool
    min_end: datetime.date | None
    end: datetime.date | None
    # Why the department's 公示截止期 was not followed (shown to the clerk; the rule stands).
    warning: str = ""


def _declared_warning(declared_end, end, why: str) -> str:
    if declared_end is None or declared_end == end:
        return ""
    if end is None:
        return f"填报的公示截止期（{declared_end}）不适用：{why}，以规则为准"
    return f"填报的公示截止期（{declared_end}）与规则不一致：{why}，公示至 {end}，以规则为准"


def publicity_for(
    *,
    policies: PolicyCache,
    decision_date: datetime.date,
    severity: str,
    penalty_kinds=None,
    fine=None,
    declared_end=None,
) -> Publicity:
    """The publicity window of a record, by the policy in force on its decision date.

    A penalty is shown until the maximum period for its severity ends (unless repaired earlier);
    a 公示截止期 the department sends that disagrees gets a warning and the rule's end is kept.
    """
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
    if minor:
        why = "按决定日适用的规则，仅受" + "、".join(penalty_kinds) + "的处罚不予公示"
        return Publicity(False, None, None, _declared_warning(declared_end, None, why))
    label = Severity(severity).label if severity in Severity.values else severity
    if severity == Severity.MINOR:
        minor_max = policies.get(PolicyKey.PUBLICITY_MINOR_MAX_MONTHS, decision_date, default=_ABSENT)
        if minor_max is None:
            return Publicity(
                False, None, None, _declared_warning(declared_end, None, "按决定日适用的规则，轻微失信信息不予公示")
            )
        if minor_max is not _ABSENT:
            # Where 轻微 must be published: at most that long, and repairable as soon as fulfilled.
            end = decision_date + relativedelta(months=int(minor_max))
            why = f"轻微失信最长公示{int(minor_max)}个月"
            return Publicity(True, decision_date, end, _declared_warning(declared_end, end, why))
        # The rule in force on that day has no 轻微 category: its nearest, 一般, applies.
    if severity == Severity.SERIOUS:
        min_key, max_key = PolicyKey.PUBLICITY_SERIOUS_MIN_MONTHS, PolicyKey.PUBLICITY_SERIOUS_MAX_MONTHS
    else:
        min_key, max_key = PolicyKey.PUBLICITY_GENERAL_MIN_MONTHS, PolicyKey.PUBLICITY_GENERAL_MAX_MONTHS
    min_end = decision_date + relativedelta(months=policies.get(min_key, decision_date))
    max_months = policies.get(max_key, decision_date)
    end = decision_date + relativedelta(months=max_months)
    why = f"{label}信息最长公示{max_months}个月"
    return Publicity(True, min_end, end, _declared_warning(declared_end, end, why))

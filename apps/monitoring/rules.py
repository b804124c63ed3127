"""The scorecard's rules, below both the scorecard and the figures other apps score with it: the line in
force on a day, and the points a measured value earns under its rule (``ScoreRule``)."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from .choices import ScoreRule
from .models import Indicator

CENTS = Decimal("0.01")


def indicator_in_force(code: str, *, on: datetime.date | None = None) -> Indicator | None:
    return (
        Indicator.objects.filter(code=code, effective_from__lte=on or timezone.localdate())
        .order_by("-effective_from")
        .first()
    )


def to_decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def score_for(indicator: Indicator, value) -> Decimal | None:
    """Points for a measured value under the indicator's rule (None: not scored / no data).

    A 扣分事项 line scores the negative of what was deducted: it lowers the total, it has no points of its own.
    """
    rule, params, points = indicator.rule, indicator.params or {}, indicator.points
    if rule == ScoreRule.MANUAL:
        # An entry with evidence; a figure typed into the scoring table itself (older installations) is the fallback.
        value = value if value is not None else indicator.manual_score
        return None if value is None else to_decimal(value).quantize(CENTS, ROUND_HALF_UP)
    if rule == ScoreRule.INFO or value is None:
        return None
    if rule == ScoreRule.LINEAR:
        zero, full, v = to_decimal(params["zero_at"]), to_decimal(params["full_at"]), to_decimal(value)
        fraction = (v - zero) / (full - zero)  # works both ways: full_at may lie below zero_at
        fraction = min(Decimal(1), max(Decimal(0), fraction))
        result = points * fraction
    elif rule == ScoreRule.ABOVE:
        result = points if to_decimal(value) > to_decimal(params["above"]) else Decimal(0)
    elif rule == ScoreRule.STEPS:
        steps = sorted(((to_decimal(t), to_decimal(p)) for t, p in params["steps"]), reverse=True)
        result = next((p for threshold, p in steps if to_decimal(value) > threshold), Decimal(0))
    elif rule == ScoreRule.SHORTFALL:
        missing = max(Decimal(0), to_decimal(params["required"]) - to_decimal(value))
        result = max(Decimal(0), points - missing * to_decimal(params["per_missing"]))
    elif rule == ScoreRule.PER_CATEGORY:
        reached = sum(1 for n in value.values() if n >= params["minimum"])
        result = min(points, reached * to_decimal(params["each"]))
    elif rule == ScoreRule.MONTHLY:
        each = to_decimal(params["each"])
        result = min(points, max(Decimal(0), sum((each if ok else -each) for ok in value)))
    elif rule == ScoreRule.DEDUCT_EACH:
        result = max(Decimal(0), points - to_decimal(value) * to_decimal(params["each"]))
    elif rule == ScoreRule.DEDUCTION:
        result = -to_decimal(value)
    else:  # pragma: no cover — choices are closed
        raise ValueError(rule)
    return to_decimal(result).quantize(CENTS, ROUND_HALF_UP)

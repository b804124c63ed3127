"""Credit-check and list figures for the credit center (DOMAIN.md §5, seed 001's scoring table).

* 核查率 = credit checks / operating market subjects (target > 100%; seed 001
  gives its 4 points only above 100%);
* 严重失信主体占比 = operating market subjects with an active black-list entry /
  operating market subjects (target < 0.2%; seed 001: 4 points under 0.3%,
  none over 0.5%, linear between);
* active list entries by list type and department;
* 奖惩案例反馈率 = checks that returned at least one measure and got feedback /
  checks that returned at least one measure.

Every figure is one SQL aggregate; nothing loops over subjects, entries or checks in Python.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from apps.monitoring.rules import indicator_in_force, score_for
from apps.subjects.models import Subject

from .choices import ListColor
from .models import CheckFeedback, CreditCheck, ListEntry


def _indicator(code: str):
    # The scoring rules are the credit center's scorecard data (apps.monitoring), not numbers here.
    return indicator_in_force(code)


def scoring_note() -> str:
    return "；".join(
        f"{i.name}：{i.standard}" for i in filter(None, (_indicator("serious_share"), _indicator("check_ratio")))
    )


def serious_share_score(share: Decimal | None, indicator=None) -> Decimal:
    """Points per the scorecard's 市场主体黑名单清理 line (seed 001: 4 under 0.3%, 0 over 0.5%, linear between)."""
    indicator = indicator or _indicator("serious_share")
    if share is None:
        return indicator.points  # no operating subjects: nothing to deduct
    return score_for(indicator, share)


def check_ratio_score(ratio: Decimal | None, indicator=None) -> Decimal:
    return score_for(indicator or _indicator("check_ratio"), ratio) or Decimal("0.00")


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    return Decimal(numerator) / Decimal(denominator) if denominator else None


def percent(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "—"
    return f"{(value * 100).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)}%"


@dataclass
class CheckFigures:
    on: datetime.date
    date_from: datetime.date | None
    date_to: datetime.date | None
    checks: int
    checks_found: int
    checks_by_channel: dict
    market_subjects: int
    serious_subjects: int
    serious_subjects_all: int
    entries_by_type_department: list = field(default_factory=list)
    entries_by_type: list = field(default_factory=list)
    checks_with_measures: int = 0
    checks_with_feedback: int = 0

    # The scorecard lines these figures are scored by, read once per figures object.
    @cached_property
    def _check_indicator(self):
        return _indicator("check_ratio")

    @cached_property
    def _serious_indicator(self):
        return _indicator("serious_share")

    @property
    def check_ratio(self) -> Decimal | None:
        return _ratio(self.checks, self.market_subjects)

    @property
    def check_ratio_met(self) -> bool:
        return self.check_ratio is not None and self.check_ratio > Decimal(self._check_indicator.params["above"])

    @property
    def check_score(self) -> Decimal:
        return check_ratio_score(self.check_ratio, self._check_indicator)

    @property
    def serious_share(self) -> Decimal | None:
        return _ratio(self.serious_subjects, self.market_subjects)

    @property
    def serious_share_met(self) -> bool:
        return self.serious_share is None or self.serious_share < Decimal(
            self._serious_indicator.params["target_below"]
        )

    @property
    def serious_score(self) -> Decimal:
        return serious_share_score(self.serious_share, self._serious_indicator)

    @property
    def feedback_rate(self) -> Decimal | None:
        return _ratio(self.checks_with_feedback, self.checks_with_measures)

    # For templates.
    def check_ratio_text(self) -> str:
        return percent(self.check_ratio)

    def serious_share_text(self) -> str:
        return percent(self.serious_share, 4)

    def feedback_rate_text(self) -> str:
        return percent(self.feedback_rate)

    def as_dict(self) -> dict:
        def number(value, places=6):
            return None if value is None else float(round(value, places))

        return {
            "on": self.on.isoformat(),
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "checks": {
                "total": self.checks,
                "found": self.checks_found,
                "by_channel": self.checks_by_channel,
                "market_subjects": self.market_subjects,
                "ratio": number(self.check_ratio),
                "target": "> 100%",
                "met": self.check_ratio_met,
                "score": float(self.check_score),
                "max_score": float(self._check_indicator.points),
            },
            "serious_dishonesty": {
                "subjects": self.serious_subjects,
                "subjects_all_kinds": self.serious_subjects_all,
                "operating_market_subjects": self.market_subjects,
                "share": number(self.serious_share, 8),
                "target": "< 0.2%",
                "met": self.serious_share_met,
                "score": float(self.serious_score),
                "max_score": float(self._serious_indicator.points),
            },
            "entries_by_type_department": self.entries_by_type_department,
            "entries_by_type": self.entries_by_type,
            "feedback": {
                "checks_with_measures": self.checks_with_measures,
                "checks_with_feedback": self.checks_with_feedback,
                "rate": number(self.feedback_rate),
            },
        }


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def credit_check_figures(
    *, on: datetime.date | None = None, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> CheckFigures:
    """The figures as of ``on`` (lists) over the checks made from ``date_from`` to ``date_to`` (local dates, inclusive)."""
    on = on or timezone.localdate()
    checks = CreditCheck.objects.all()
    # Local-day bounds as instants, so the created_at index serves the range.
    if date_from:
        checks = checks.filter(created_at__gte=_day_start(date_from))
    if date_to:
        checks = checks.filter(created_at__lt=_day_start(date_to + datetime.timedelta(days=1)))
    totals = checks.aggregate(total=Count("pk"), found=Count("pk", filter=Q(found=True)))
    by_channel = dict(checks.order_by().values_list("channel").annotate(n=Count("pk")))

    operating = Subject.objects.market_subjects().operating()
    market_subjects = operating.count()
    black = ListEntry.objects.active(on=on).filter(list_type__color=ListColor.BLACK)
    serious_all = black.exclude(subject=None).values("subject_id").distinct().count()
    serious = black.filter(subject__in=operating).values("subject_id").distinct().count()

    active = ListEntry.objects.active(on=on)
    by_type_department = [
        {
            "list_type": row["list_type__code"],
            "list_type_name": row["list_type__name"],
            "color": row["list_type__color"],
            "department": row["department__name"],
            "entries": row["n"],
        }
        for row in active.order_by()
        .values("list_type__code", "list_type__name", "list_type__color", "list_type__sort_order", "department__name")
        .annotate(n=Count("pk"))
        .order_by("list_type__color", "list_type__sort_order", "list_type__code", "department__name")
    ]
    by_type = [
        {
            "list_type": row["list_type__code"],
            "list_type_name": row["list_type__name"],
            "color": row["list_type__color"],
            "entries": row["n"],
            "subjects": row["subjects"],
        }
        for row in active.order_by()
        .values("list_type__code", "list_type__name", "list_type__color", "list_type__sort_order")
        .annotate(n=Count("pk"), subjects=Count("subject", distinct=True))
        .order_by("list_type__color", "list_type__sort_order", "list_type__code")
    ]

    # A check "returned a measure" when its stored answer counted at least one.
    with_measures = checks.filter(result__counts__measures__gt=0)
    feedback = with_measures.aggregate(
        due=Count("pk"),
        given=Count("pk", filter=Exists(CheckFeedback.objects.filter(credit_check=OuterRef("pk")))),
    )
    return CheckFigures(
        on=on,
        date_from=date_from,
        date_to=date_to,
        checks=totals["total"],
        checks_found=totals["found"],
        checks_by_channel=by_channel,
        market_subjects=market_subjects,
        serious_subjects=serious,
        serious_subjects_all=serious_all,
        entries_by_type_department=by_type_department,
        entries_by_type=by_type,
        checks_with_measures=feedback["due"],
        checks_with_feedback=feedback["given"],
    )

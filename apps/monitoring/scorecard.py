"""The credit center's self-assessment: the scoring table of seed 001 computed from live data.

Each ``Indicator`` row (data, versioned) names a *measure* — a function here
that computes one figure from the platform's own tables — and a *rule* that
turns the figure into points. Figures whose rule needs a history (the monthly
重错码 and 双公示 items) read the nightly ``IndicatorReading`` rows; every
figure's trend comes from them too.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Count
from django.utils import timezone

from apps.catalog.choices import Family
from apps.catalog.models import RecordType

from .choices import ScoreRule
from .models import Indicator, IndicatorReading
from .selectors import Month, last_months, month_figures

TREND_MONTHS = 12
_CENTS = Decimal("0.01")


@dataclass
class Measured:
    """A live figure: what the rule scores (``value``), the number drawn in the trend, and how it reads."""

    value: object
    number: float | None
    text: str
    detail: dict = field(default_factory=dict)


class LiveFigures:
    """What the measures of one card read, each figure computed once however many lines use it."""

    def __init__(self, on: datetime.date):
        self.on = on

    @cached_property
    def check_figures(self):
        from apps.lists.figures import credit_check_figures

        return credit_check_figures(on=self.on)

    @cached_property
    def loan_figures(self) -> dict:
        from apps.scenarios.services import loan_figures

        return loan_figures()


MEASURES: dict[str, tuple[str, Callable[[LiveFigures], Measured]]] = {}


def measure(code: str, label: str):
    def register(function):
        MEASURES[code] = (label, function)
        return function

    return register


def _percent(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{places}f}%"


def _months_until(on: datetime.date) -> list[Month]:
    return last_months(TREND_MONTHS, until=Month.of(on))


# --- measures ------------------------------------------------------------------------------


@measure("double_publicity", "双公示合规率、及时率（按月）")
def _double_publicity(live):
    on = live.on
    months = _months_until(on)
    cells = month_figures(months=months)
    monthly, flags = [], []
    for month in months:
        figures = cells.family(Family.DOUBLE_PUBLICITY, month)
        if not figures.participated:
            continue  # nothing reported or sent: the month is not assessed
        timely_ok = figures.timely_rate in (None, 100.0)
        compliant_ok = figures.compliance_rate in (None, 100.0)
        flags += [timely_ok, compliant_ok]
        monthly.append(
            {"month": month.param, "timely_rate": figures.timely_rate, "compliance_rate": figures.compliance_rate}
        )
    current = cells.family(Family.DOUBLE_PUBLICITY, months[-1])
    rates = [r for r in (current.timely_rate, current.compliance_rate) if r is not None]
    number = min(rates) / 100 if rates else None
    text = f"本月及时率 {current.timely_rate if current.timely_rate is not None else '—'}%，合规率 {current.compliance_rate if current.compliance_rate is not None else '—'}%；近{len(monthly)}个月达标 {sum(flags)}/{len(flags)} 项"
    return Measured(flags, number, text, {"months": monthly})


@measure("code_error_rate", "重错码率（按月）")
def _code_error_rate(live):
    on = live.on
    from apps.subjects.selectors import code_quality_summary

    summary = code_quality_summary()
    month_flags = _monthly_flags_from_readings("code_error_rate", on, current=summary.rate == 0)
    text = f"当前 {summary.rate_percent}（{summary.affected_subjects} 个主体受影响）；近{len(month_flags)}个月为零 {sum(month_flags)} 个月"
    return Measured(month_flags, summary.rate, text, summary.as_dict())


@measure("serious_share", "严重失信主体占在营市场主体比例")
def _serious_share(live):
    figures = live.check_figures
    share = float(figures.serious_share) if figures.serious_share is not None else None
    text = f"{_percent(share, 4)}（{figures.serious_subjects} / {figures.market_subjects}）"
    return Measured(share, share, text, {"serious": figures.serious_subjects, "market": figures.market_subjects})


@measure("check_ratio", "信用核查应用比例（核查次数 / 市场主体数）")
def _check_ratio(live):
    figures = live.check_figures
    ratio = float(figures.check_ratio) if figures.check_ratio is not None else None
    text = f"{_percent(ratio)}（{figures.checks} 次 / {figures.market_subjects} 个主体）"
    return Measured(ratio, ratio, text, {"checks": figures.checks, "market": figures.market_subjects})


def _reported_records():
    from apps.records.choices import Status
    from apps.records.models import Record

    return Record.objects.exclude(status=Status.DRAFT)


@measure("data_volume", "归集数据总量（条）")
def _data_volume(live):
    by_family = dict(_reported_records().order_by().values_list("record_type__family").annotate(n=Count("pk")))
    total = sum(by_family.values())
    labels = dict(Family.choices)
    parts = "，".join(f"{labels.get(k, k)} {v:,}" for k, v in sorted(by_family.items(), key=lambda kv: -kv[1]))
    return Measured(total, float(total), f"{total:,} 条" + (f"（{parts}）" if parts else ""), {"by_family": by_family})


@measure("specific_categories", "特定领域信息（每类条数）")
def _specific_categories(live):
    counts = dict(
        _reported_records()
        .filter(record_type__family=Family.SPECIFIC)
        .order_by()
        .values_list("record_type__name")
        .annotate(n=Count("pk"))
    )
    for name in RecordType.objects.filter(family=Family.SPECIFIC).values_list("name", flat=True):
        counts.setdefault(name, 0)
    text = "，".join(f"{name} {n:,}" for name, n in sorted(counts.items()))
    return Measured(counts, float(sum(counts.values())), text or "无特定领域信息类型", {"counts": counts})


@measure("commitment_coverage", "信用承诺覆盖率（有承诺记录的在营企业 / 在营企业）")
def _commitment_coverage(live):
    on = live.on
    from apps.commitments.services import commitment_coverage

    figures = commitment_coverage(on=on)
    share = figures["coverage"]
    return Measured(share, share, f"{_percent(share)}（{figures['covered']} / {figures['enterprises']}）", figures)


@measure("xinyi_fields", "信易+应用领域数（启用的场景）")
def _xinyi_fields(live):
    from apps.scenarios.models import Scenario

    count = Scenario.objects.filter(is_active=True).count()
    return Measured(count, float(count), f"{count} 个", {"scenarios": count})


@measure("xinyidai_share", "信易贷注册企业占在营企业比例")
def _xinyidai_share(live):
    figures = live.loan_figures
    share = figures["share"]
    text = f"{_percent(share)}（{figures['registered']} / {figures['operating']}）"
    return Measured(share, share, text, {"registered": figures["registered"], "operating": figures["operating"]})


@measure("xinyidai_amount", "信易贷授信或放款金额（元）")
def _xinyidai_amount(live):
    figures = live.loan_figures
    # The scoring table counts 授信金额 or 放款金额, whichever is reached (amounts are kept in 万元).
    amount = float(max(figures["granted"], figures["lent"])) * 10_000
    text = f"授信 {figures['granted']:,} 万元，放款 {figures['lent']:,} 万元"
    return Measured(amount, amount, text, {"granted": str(figures["granted"]), "lent": str(figures["lent"])})


@measure("graded_fields", "开展分级分类监管的领域数（有双随机抽查任务的监管领域）")
def _graded_fields(live):
    from apps.evaluation.models import InspectionTask

    count = InspectionTask.objects.filter(drawn_at__isnull=False).values("field_id").distinct().count()
    return Measured(count, float(count), f"{count} 个领域", {"fields": count})


@measure("repair_overdue", "信用修复与异议：逾期未办结案件数（近一年受理与办结情况）")
def _repair_overdue(live):
    on = live.on
    from apps.repair.selectors import case_figures

    figures = case_figures(date_from=on - datetime.timedelta(days=365), date_to=on, today=on)
    overdue = sum(f.overdue for f in figures)
    text = "；".join(
        f"{f.label}：受理 {f.received}，办结 {f.decided}，在办 {f.open}，逾期 {f.overdue}"
        + (f"，办理中位数 {f.median_days} 个工作日" if f.median_days is not None else "")
        for f in figures
    )
    return Measured(overdue, float(overdue), text, {"overdue": overdue})


# --- rules ---------------------------------------------------------------------------------


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def score_for(indicator: Indicator, value) -> Decimal | None:
    """Points for a measured value under the indicator's rule (None: not scored / no data)."""
    rule, params, points = indicator.rule, indicator.params or {}, indicator.points
    if rule == ScoreRule.MANUAL:
        return indicator.manual_score
    if rule == ScoreRule.INFO or value is None:
        return None
    if rule == ScoreRule.LINEAR:
        zero, full, v = _decimal(params["zero_at"]), _decimal(params["full_at"]), _decimal(value)
        fraction = (v - zero) / (full - zero)  # works both ways: full_at may lie below zero_at
        fraction = min(Decimal(1), max(Decimal(0), fraction))
        result = points * fraction
    elif rule == ScoreRule.ABOVE:
        result = points if _decimal(value) > _decimal(params["above"]) else Decimal(0)
    elif rule == ScoreRule.STEPS:
        steps = sorted(((_decimal(t), _decimal(p)) for t, p in params["steps"]), reverse=True)
        result = next((p for threshold, p in steps if _decimal(value) > threshold), Decimal(0))
    elif rule == ScoreRule.SHORTFALL:
        missing = max(Decimal(0), _decimal(params["required"]) - _decimal(value))
        result = max(Decimal(0), points - missing * _decimal(params["per_missing"]))
    elif rule == ScoreRule.PER_CATEGORY:
        reached = sum(1 for n in value.values() if n >= params["minimum"])
        result = min(points, reached * _decimal(params["each"]))
    elif rule == ScoreRule.MONTHLY:
        each = _decimal(params["each"])
        result = min(points, max(Decimal(0), sum((each if ok else -each) for ok in value)))
    else:  # pragma: no cover — choices are closed
        raise ValueError(rule)
    return _decimal(result).quantize(_CENTS, ROUND_HALF_UP)


# --- the card --------------------------------------------------------------------------------


@dataclass
class Line:
    indicator: Indicator
    measured: Measured | None
    score: Decimal | None
    trend: list[tuple[str, float | None]]

    @property
    def available(self) -> bool:
        return self.measured is not None or self.indicator.rule == ScoreRule.MANUAL


@dataclass
class Scorecard:
    on: datetime.date
    lines: list[Line]

    @property
    def total(self) -> Decimal:
        return sum((line.score for line in self.lines if line.score is not None), Decimal(0))

    @property
    def assessed_points(self) -> Decimal:
        """The points of the lines that have a score (computed or entered)."""
        return sum((line.indicator.points for line in self.lines if line.score is not None), Decimal(0))

    @property
    def full_points(self) -> Decimal:
        return sum((line.indicator.points for line in self.lines if line.indicator.rule != ScoreRule.INFO), Decimal(0))


def indicator_in_force(code: str, *, on: datetime.date | None = None) -> Indicator | None:
    return (
        Indicator.objects.filter(code=code, effective_from__lte=on or timezone.localdate())
        .order_by("-effective_from")
        .first()
    )


def measure_value(indicator: Indicator, live: LiveFigures) -> Measured | None:
    entry = MEASURES.get(indicator.measure)
    return entry[1](live) if entry else None


def scorecard_build(*, on: datetime.date | None = None) -> Scorecard:
    on = on or timezone.localdate()
    indicators = Indicator.objects.in_force(on=on)
    live = LiveFigures(on)
    trends = _trends([i.code for i in indicators], on)
    lines = []
    for indicator in indicators:
        measured = measure_value(indicator, live)
        score = score_for(indicator, measured.value if measured else None)
        trend = trends.get(indicator.code, [])
        if measured is not None:
            trend = [point for point in trend if point[0] != Month.of(on).param] + [
                (Month.of(on).param, measured.number)
            ]
        lines.append(Line(indicator, measured, score, trend))
    return Scorecard(on, lines)


def _month_end_readings(codes: list[str], on: datetime.date) -> dict[str, dict[str, IndicatorReading]]:
    """The last reading of each month (of the trend window) per indicator code."""
    first = _months_until(on)[0].first
    readings: dict[str, dict[str, IndicatorReading]] = {}
    for reading in IndicatorReading.objects.filter(code__in=codes, day__gte=first, day__lte=on).order_by("day"):
        readings.setdefault(reading.code, {})[Month.of(reading.day).param] = reading
    return readings


def _trends(codes, on) -> dict[str, list[tuple[str, float | None]]]:
    return {
        code: [(month, reading.value) for month, reading in by_month.items()]
        for code, by_month in _month_end_readings(codes, on).items()
    }


def _monthly_flags_from_readings(code: str, on: datetime.date, *, current: bool) -> list[bool]:
    """Per past month of the window with a reading: was the figure zero at month end; then this month, live."""
    this_month = Month.of(on).param
    by_month = _month_end_readings([code], on).get(code, {})
    flags = [reading.value == 0 for month, reading in by_month.items() if month != this_month]
    return flags + [current]


def indicator_readings_take(*, on: datetime.date | None = None) -> int:
    """Record today's value of every measured indicator (a second run the same day overwrites it)."""
    on = on or timezone.localdate()
    taken, live = 0, LiveFigures(on)
    for indicator in Indicator.objects.in_force(on=on):
        measured = measure_value(indicator, live)
        if measured is None:
            continue
        IndicatorReading.objects.update_or_create(
            code=indicator.code, day=on, defaults={"value": measured.number, "detail": measured.detail}
        )
        taken += 1
    return taken


def scorecard_rows_for_export(card: Scorecard) -> list[list]:
    rows = [["类别", "创建指标", "目标", "当前值", "得分", "分值", "评分标准"]]
    for line in card.lines:
        i = line.indicator
        rows.append(
            [
                i.group,
                i.name,
                i.target,
                line.measured.text if line.measured else ("人工评分" if i.rule == ScoreRule.MANUAL else "未接入数据"),
                float(line.score) if line.score is not None else None,
                float(i.points) if i.rule != ScoreRule.INFO else None,
                i.standard,
            ]
        )
    rows.append(["", "合计（已评分项）", "", "", float(card.total), float(card.assessed_points), ""])
    return rows

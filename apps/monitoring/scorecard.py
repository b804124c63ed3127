"""The credit center's self-assessment: the scoring table of seed 001 computed from live data.

Each ``Indicator`` row (data, versioned) names a *measure* — a function in ``measures.py``
that computes one figure from the platform's own tables — and a *rule* that
turns the figure into points. Figures whose rule needs a history (the monthly
重错码 and 双公示 items) read the nightly ``IndicatorReading`` rows or the
monthly figures; every figure's trend comes from them too. Lines whose facts
the platform cannot measure (人工评分, 扣分事项) read what the credit center
entered with its evidence (``ManualEntry``).

The assessment period (创建期) is the calendar months ending with the day assessed, as many as the policy
row ``scorecard_period_months`` in force says (``measuring.period_months``): twelve for seed 001, which
judges "最近一年（2021年12月至2022年11月）", its monthly
lines are worth 12 × 0.2 (重错码率 2.4) and 24 × 0.2 (双公示 4.8), and its
"创建期内" lines (信用核查, 授信放款, 机构失信被执行, deductions) count over
that same year. "创建期末" lines are the position on the day assessed.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from .choices import ScoreRule
from .manual import deduction_items, deduction_measured, manual_measured
from .measuring import LiveFigures, Measured, Period, month_end_readings
from .models import MEASURES, Indicator, IndicatorReading
from .rules import score_for, to_decimal
from .selectors import Month

# --- rules ---------------------------------------------------------------------------------


def _number(value, unit: str) -> str:
    value = to_decimal(value)
    if unit == "ratio":
        return f"{(value * 100).normalize():f}%"
    if unit == "yuan" and value >= 100_000_000:
        return f"{(value / 100_000_000).normalize():f} 亿元"
    if unit == "count" and value >= 100_000_000:
        return f"{(value / 100_000_000).normalize():f} 亿"
    if unit == "count" and value >= 10_000:
        return f"{(value / 10_000).normalize():f} 万"
    return f"{value.normalize():f}"


_UNITS = {
    "serious_share": "ratio",
    "check_ratio": "ratio",
    "xinyidai_share": "ratio",
    "commitment_coverage": "ratio",
    "xinyidai_amount": "yuan",
}


def rule_text(indicator: Indicator) -> str:
    """How the line turns its figure into points, in words, from the rule and its parameters."""
    rule, params, points = indicator.rule, indicator.params or {}, _number(indicator.points, "")
    unit = _UNITS.get(indicator.measure, "count")
    if rule == ScoreRule.LINEAR:
        zero, full = _number(params["zero_at"], unit), _number(params["full_at"], unit)
        if to_decimal(params["full_at"]) < to_decimal(params["zero_at"]):
            return f"低于 {full} 得 {points} 分，高于 {zero} 不得分，之间按比例计分"
        return f"达到 {full} 得 {points} 分，低于 {zero} 不得分，之间按比例计分"
    if rule == ScoreRule.ABOVE:
        return f"超过 {_number(params['above'], unit)} 得 {points} 分，否则不得分"
    if rule == ScoreRule.STEPS:
        steps = sorted(((to_decimal(t), to_decimal(p)) for t, p in params["steps"]), reverse=True)
        return "；".join(f"超过 {_number(t, unit)} 得 {_number(p, '')} 分" for t, p in steps) + "；否则不得分"
    if rule == ScoreRule.SHORTFALL:
        return f"达到 {params['required']} 个得 {points} 分，每少 1 个扣 {_number(params['per_missing'], '')} 分"
    if rule == ScoreRule.PER_CATEGORY:
        return f"每类达到 {_number(params['minimum'], 'count')} 条得 {_number(params['each'], '')} 分，最高 {points} 分"
    if rule == ScoreRule.MONTHLY:
        each = _number(params["each"], "")
        return f"每月每项达标得 {each} 分、未达标扣 {each} 分，0 至 {points} 分"
    if rule == ScoreRule.DEDUCT_EACH:
        return f"满分 {points} 分，每出现 1 个扣 {_number(params['each'], '')} 分，扣完为止"
    if rule == ScoreRule.MANUAL:
        return f"人工评分，0 至 {points} 分"
    if rule == ScoreRule.DEDUCTION:
        parts = []
        for item in deduction_items(indicator).values():
            if "points" in item:
                months = int(item.get("months", 1))
                each = _number(item["points"], "")
                parts.append(
                    f"{item['name']}：" + (f"连续 {months} 个月每月扣 {each} 分" if months > 1 else f"当月扣 {each} 分")
                )
            else:
                parts.append(f"{item['name']}：当月最多扣 {_number(item['max'], '')} 分")
        return "从总分中扣除：" + "；".join(parts)
    return "监测项，不计分"


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

    @property
    def entered(self) -> bool:
        """A line the credit center fills in by hand, with evidence."""
        return self.indicator.rule in (ScoreRule.MANUAL, ScoreRule.DEDUCTION)

    @property
    def rule_text(self) -> str:
        return rule_text(self.indicator)


@dataclass
class Scorecard:
    on: datetime.date
    lines: list[Line]

    @property
    def period(self) -> Period:
        return Period.ending(self.on)

    @property
    def total(self) -> Decimal:
        """Points scored, deductions subtracted."""
        return sum((line.score for line in self.lines if line.score is not None), Decimal(0))

    @property
    def deducted(self) -> Decimal:
        return -sum(
            (line.score for line in self.lines if line.indicator.rule == ScoreRule.DEDUCTION and line.score), Decimal(0)
        )

    @property
    def assessed_points(self) -> Decimal:
        """The points of the lines that have a score (computed or entered)."""
        return sum((line.indicator.points for line in self.lines if line.score is not None), Decimal(0))

    @property
    def full_points(self) -> Decimal:
        return sum((line.indicator.points for line in self.lines if line.indicator.rule != ScoreRule.INFO), Decimal(0))


def measure_value(indicator: Indicator, live: LiveFigures) -> Measured | None:
    if indicator.rule == ScoreRule.MANUAL:
        return manual_measured(indicator, live)
    if indicator.rule == ScoreRule.DEDUCTION:
        return deduction_measured(indicator, live)
    entry = MEASURES.get(indicator.measure)
    return entry[1](live, indicator) if entry else None


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
        if measured is not None and measured.number is not None:
            trend = [point for point in trend if point[0] != Month.of(on).param] + [
                (Month.of(on).param, measured.number)
            ]
        lines.append(Line(indicator, measured, score, trend))
    return Scorecard(on, lines)


def _trends(codes, on) -> dict[str, list[tuple[str, float | None]]]:
    return {
        code: [(month, reading.value) for month, reading in by_month.items()]
        for code, by_month in month_end_readings(codes, on).items()
    }


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


def _score_cell(line: Line):
    return float(line.score) if line.score is not None else None


def scorecard_rows_for_export(card: Scorecard) -> list[list]:
    rows = [
        ["类别", "创建指标", "目标", "当前值", "得分", "分值", "计算方法", "计分规则", "统计期间", "依据", "评分标准"]
    ]
    for line in card.lines:
        i = line.indicator
        m = line.measured
        rows.append(
            [
                i.group,
                i.name,
                i.target,
                m.text if m else ("人工评分" if i.rule == ScoreRule.MANUAL else "未接入数据"),
                _score_cell(line),
                float(i.points) if i.rule not in (ScoreRule.INFO, ScoreRule.DEDUCTION) else None,
                m.formula if m else "",
                line.rule_text,
                m.span if m else "",
                i.source,
                i.standard,
            ]
        )
    rows.append(
        [
            "",
            "合计（已评分项，已扣除扣分事项）",
            "",
            "",
            float(card.total),
            float(card.assessed_points),
            "",
            "",
            "",
            "",
            "",
        ]
    )
    return rows

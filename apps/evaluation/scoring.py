"""The scoring model's vocabulary and its arithmetic, shared by the SQL and the Python paths.

A model (``ScoringModel``) is data: a base score, a list of indicators and a
list of grade bands. Each indicator counts something about a subject and turns
the count into points::

    {"code": "penalty_serious", "name": "严重失信行政处罚", "source": "records",
     "filter": {"record_type": ["penalty"], "severity": "serious", "in_publicity": true},
     "points": -20, "cap": -60}

contribution = count × points, limited to ``cap`` (same sign as points; no
cap when null). score = base + Σ contributions, clamped to the grade bands'
range; the grade is the band holding the score. Everything a subject sees on
its grade page is this arithmetic on the stored counts.
"""

import re

from .choices import IndicatorSource

RECORD_FILTER_KEYS = {"record_type", "family", "severity", "in_publicity"}
LIST_FILTER_KEYS = {"color"}
COMMITMENT_FILTER_KEYS = {"status"}
FILTER_KEYS = {
    IndicatorSource.RECORDS: RECORD_FILTER_KEYS,
    IndicatorSource.LISTS: LIST_FILTER_KEYS,
    IndicatorSource.COMMITMENTS: COMMITMENT_FILTER_KEYS,
}
SEVERITIES = {"minor", "general", "serious"}
LIST_COLORS = {"red", "black", "watch"}
COMMITMENT_STATUSES = {"signed", "fulfilled", "partial", "breached", "any"}


INDICATOR_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def validate_indicators(indicators) -> list[str]:
    problems = []
    if not isinstance(indicators, list) or not indicators:
        return ["指标列表不能为空。"]
    seen = set()
    for n, ind in enumerate(indicators, 1):
        where = f"第{n}个指标"
        if not isinstance(ind, dict):
            problems.append(f"{where}格式错误。")
            continue
        code = ind.get("code")
        # The code becomes a column alias in the nightly SQL (engine.py): only lower-case ASCII letters,
        # digits and underscores, starting with a letter, so it can never carry SQL.
        if not code or not INDICATOR_CODE.fullmatch(str(code)):
            problems.append(f"{where}缺少代码或代码不是小写字母开头的字母、数字、下划线（最多40个字符）。")
        elif code in seen:
            problems.append(f"{where}代码“{code}”重复。")
        seen.add(code)
        if not ind.get("name"):
            problems.append(f"{where}缺少名称。")
        source = ind.get("source")
        if source not in IndicatorSource.values:
            problems.append(f"{where}数据来源“{source}”未知，可选：{'、'.join(IndicatorSource.values)}。")
            continue
        filt = ind.get("filter") or {}
        unknown = set(filt) - FILTER_KEYS[source]
        if unknown:
            problems.append(f"{where}筛选条件含未知字段：{'、'.join(sorted(unknown))}。")
        if "severity" in filt and filt["severity"] not in SEVERITIES:
            problems.append(f"{where}失信程度应为 minor、general 或 serious。")
        if "color" in filt and filt["color"] not in LIST_COLORS:
            problems.append(f"{where}名单类别应为 red、black 或 watch。")
        if "status" in filt and filt["status"] not in COMMITMENT_STATUSES:
            problems.append(f"{where}承诺状态应为 {'、'.join(sorted(COMMITMENT_STATUSES))} 之一。")
        for key in ("record_type", "family"):
            if key in filt and not (isinstance(filt[key], list) and all(isinstance(x, str) for x in filt[key])):
                problems.append(f"{where}的 {key} 应为代码列表。")
        points, cap = ind.get("points"), ind.get("cap")
        if not isinstance(points, int) or isinstance(points, bool) or points == 0:
            problems.append(f"{where}分值应为非零整数。")
        elif cap is not None and (not isinstance(cap, int) or cap * points <= 0):
            problems.append(f"{where}封顶值应为与分值同号的整数，或留空。")
    return problems


def validate_grades(grades) -> list[str]:
    """Bands ``[{"code", "label", "min", "max"}]`` (inclusive) must not overlap and must leave no gap."""
    if not isinstance(grades, list) or len(grades) < 2:
        return ["等级划分至少需要两个等级。"]
    problems = []
    for n, g in enumerate(grades, 1):
        if not isinstance(g, dict) or not g.get("code") or not g.get("label"):
            problems.append(f"第{n}个等级缺少代码或名称。")
            continue
        lo, hi = g.get("min"), g.get("max")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)):
            problems.append(f"等级 {g['code']} 的分数下限、上限应为整数。")
        elif lo > hi:
            problems.append(f"等级 {g['code']} 的分数下限 {lo} 大于上限 {hi}。")
    if problems:
        return problems
    codes = [g["code"] for g in grades]
    if len(set(codes)) != len(codes):
        problems.append("等级代码重复。")
    bands = sorted(grades, key=lambda g: g["min"])
    for prev, cur in zip(bands, bands[1:], strict=False):
        if cur["min"] <= prev["max"]:
            problems.append(
                f"等级 {prev['code']}（{prev['min']}–{prev['max']}）与等级 {cur['code']}"
                f"（{cur['min']}–{cur['max']}）的分数区间重叠。"
            )
        elif cur["min"] > prev["max"] + 1:
            problems.append(f"分数 {prev['max'] + 1}–{cur['min'] - 1} 未划入任何等级。")
    return problems


def contribution(count: int, points: int, cap) -> int:
    value = count * points
    if cap is None:
        return value
    return max(value, cap) if points < 0 else min(value, cap)


def score_of(model, counts: dict) -> tuple[int, str, list[dict]]:
    """(score, grade code, contributing indicators) for the counts of one subject."""
    total = model.base_score
    parts = []
    for ind in model.indicators:
        count = int(counts.get(ind["code"], 0) or 0)
        value = contribution(count, ind["points"], ind.get("cap"))
        total += value
        if count:
            parts.append({"code": ind["code"], "name": ind["name"], "count": count, "points": value})
    lo, hi = model.score_range
    total = min(max(total, lo), hi)
    return total, model.grade_for(total), parts

"""Eligibility rules as data, and their evaluation with a reason for every failed condition.

A rule is ``{"all": [condition, …]}``; a condition is
``{"field": <fact>, "op": <operator>, "value": <value>}`` over the facts below.
Unknown facts or operators are rejected when the scenario is saved.
"""

from apps.subjects.choices import SubjectKind

# fact → (label, kind)
FACTS = {
    "grade": ("信用等级", "grade"),
    "black_lists": ("在列严重失信主体名单数", "int"),
    "watch_lists": ("在列重点关注名单数", "int"),
    "red_lists": ("在列守信激励名单数", "int"),
    "serious_records": ("公示中的严重失信记录数", "int"),
    "general_records": ("公示中的一般失信记录数", "int"),
    "breached_commitments": ("未履行的信用承诺数", "int"),
    "subject_kind": ("主体类别", "choice"),
    "operating": ("存续经营", "bool"),
}
OPS = {
    "in": "属于",
    "not_in": "不属于",
    "eq": "等于",
    "lte": "不超过",
    "gte": "不少于",
}
KIND_OPS = {"grade": {"in", "not_in"}, "choice": {"in", "not_in", "eq"}, "int": {"eq", "lte", "gte"}, "bool": {"eq"}}
KIND_LABELS = dict(SubjectKind.choices)


def validate_rule(rule) -> list[str]:
    if not isinstance(rule, dict) or set(rule) != {"all"} or not isinstance(rule["all"], list):
        return ['适用条件应为 {"all": [条件, …]} 的形式。']
    problems = []
    for n, cond in enumerate(rule["all"], 1):
        if not isinstance(cond, dict) or set(cond) - {"field", "op", "value"}:
            problems.append(f"第{n}个条件格式错误，只能包含 field、op、value。")
            continue
        field, op, value = cond.get("field"), cond.get("op"), cond.get("value")
        if field not in FACTS:
            problems.append(f"第{n}个条件引用了未知字段“{field}”，可用字段：{'、'.join(FACTS)}。")
            continue
        kind = FACTS[field][1]
        if op not in KIND_OPS[kind]:
            problems.append(
                f"第{n}个条件（{FACTS[field][0]}）不支持运算“{op}”，可用：{'、'.join(sorted(KIND_OPS[kind]))}。"
            )
            continue
        if op in ("in", "not_in") and not (isinstance(value, list) and value):
            problems.append(f"第{n}个条件的取值应为非空列表。")
        elif kind == "int" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            problems.append(f"第{n}个条件的取值应为非负整数。")
        elif kind == "bool" and not isinstance(value, bool):
            problems.append(f"第{n}个条件的取值应为 true 或 false。")
        elif kind == "choice" and op == "eq" and value not in KIND_LABELS:
            problems.append(f"第{n}个条件的主体类别“{value}”未知。")
        elif kind == "choice" and op != "eq" and any(v not in KIND_LABELS for v in value):
            problems.append(f"第{n}个条件含未知的主体类别。")
    return problems


def _show(field, value):
    if isinstance(value, list):
        return "、".join(_show(field, v) for v in value)
    if field == "subject_kind":
        return KIND_LABELS.get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if value in (None, ""):
        return "未评价"
    return str(value)


_OPS = {
    "in": lambda actual, value: actual in value,
    "not_in": lambda actual, value: actual not in value,
    "eq": lambda actual, value: actual == value,
    "lte": lambda actual, value: actual is not None and actual <= value,
    "gte": lambda actual, value: actual is not None and actual >= value,
}


def evaluate(rule, facts: dict) -> tuple[bool, list[str]]:
    """(eligible, reasons): one exact reason for each condition the subject does not meet."""
    reasons = []
    for cond in rule.get("all", []):
        field, op, value = cond["field"], cond["op"], cond["value"]
        actual = facts.get(field)
        ok = _OPS[op](actual, value)
        if not ok:
            label = FACTS[field][0]
            reasons.append(f"{label}为{_show(field, actual)}，要求{OPS[op]}{_show(field, value)}。")
    return not reasons, reasons


def describe(rule) -> list[str]:
    return [
        f"{FACTS[c['field']][0]}{OPS[c['op']]}{_show(c['field'], c['value'])}"
        for c in rule.get("all", [])
        if c.get("field") in FACTS
    ]

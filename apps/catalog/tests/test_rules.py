"""The catalog's row rules as objects (apps/catalog/rules.py): which apply where, in what order, run by whom."""

import datetime

import pytest

from apps.catalog import rules
from apps.catalog.choices import Role
from apps.catalog.rules import CATALOG, INTAKE, Rule, condition_holds, condition_sql
from apps.catalog.spec import TypeSpec

TODAY = datetime.date(2024, 10, 10)


@pytest.mark.django_db
def test_penalty_rules_in_the_order_their_problems_are_listed():
    spec = TypeSpec.load("penalty")
    names = [rule.name for rule in spec.rules]
    presence = [n for n in names if n.startswith("Presence(")]
    assert names[: len(presence)] == presence and "Presence(CF_NR_FK)" in presence
    assert names[len(presence) :] == [
        "DecisionNotAfterToday",
        "PublicityEndAfterDecision",
        "IndividualBusinessCode",
        "PersonIdNumber",
        "LegalRepIdNumber",
        "FineNeedsFinePenalty",
        "SourceIsDepartment",
    ]
    assert [r.name for r in spec.rules if r.stage == INTAKE] == ["SourceIsDepartment"]
    assert all(r.stage == CATALOG for r in spec.catalog_rules)


@pytest.mark.django_db
def test_a_registered_rule_joins_only_its_own_type():
    class Extra(Rule):
        def check(self, row, ctx):
            return None

    rules.register("license", Extra)
    try:
        assert "Extra" in [r.name for r in TypeSpec.load("license").rules]
        assert "Extra" not in [r.name for r in TypeSpec.load("penalty").rules]
    finally:
        rules.unregister("license", Extra)
    assert "Extra" not in [r.name for r in TypeSpec.load("license").rules]
    # The list entry's recogniser is registered by apps.lists.
    assert "RecognisedListType" in [r.name for r in TypeSpec.load("list_entry").rules]


@pytest.mark.django_db
def test_validate_runs_the_catalog_rules_only(dept_a, dept_b):
    """The 数据来源单位 rule needs the reporting department: Ingest runs it, TypeSpec.validate does not."""
    from apps.records.tests.factories import penalty_row

    spec = TypeSpec.load("penalty")
    row = penalty_row(dept_a, 1, CF_SJLYDM=dept_b.uscc, CF_JDRQ="2025-01-01")
    result = spec.validate(row, today=TODAY)
    assert [str(p) for p in result.problems] == [f"{spec.by_role[Role.DECISION_DATE].label}：决定日期不能晚于今天"]


class _Plan:
    """Just what condition_sql reads of the staged path's plan."""

    def __init__(self, spec):
        self.spec = spec

    def column(self, f):
        return f"s.{f.code}"

    def value(self, f):
        return f"v.{f.code}"


@pytest.mark.django_db
def test_conditions_in_python_and_sql():
    spec = TypeSpec.load("penalty")
    plan = _Plan(spec)
    kind = spec.by_role[Role.SUBJECT_KIND].code
    kinds = spec.by_role[Role.PENALTY_KINDS].code
    assert condition_holds({"field": kind, "in": ["自然人"]}, {kind: "自然人"})
    assert not condition_holds({"field": kind, "in": ["自然人"]}, {})
    assert condition_holds({"field": kinds, "contains": "罚款"}, {kinds: ["警告", "罚款"]})
    assert condition_sql({"field": kind, "in": ["自然人"]}, plan) == (
        f"coalesce(s.{kind} = ANY(%s::text[]), false)",
        [["自然人"]],
    )
    assert condition_sql({"field": kinds, "contains": "罚款"}, plan) == (
        f"coalesce(%s = ANY(v.{kinds}), false)",
        ["罚款"],
    )
    # Shapes the SQL side cannot say: no SQL form (the staged path then declines the type).
    assert condition_sql({"field": "NO_SUCH_FIELD", "in": ["x"]}, plan) is None
    assert condition_sql({"field": kinds, "in": ["罚款"]}, plan) is None
    assert condition_sql({"field": kind, "in": [1]}, plan) is None

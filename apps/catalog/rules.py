"""The row rules of the catalog, each written once: its Python check and, where it has one, its SQL form.

A rule is one object. ``check`` is what the pipeline runs on a row's clean values
(``TypeSpec.validate`` for the catalog's own rules, ``Ingest`` for the rules that
need the reporting department). ``sql`` is the same rule as a condition over the
staged import's table (``apps/records/intake/staged.py``), or ``None`` when the
rule has no SQL form. The staged path builds its condition from these forms only,
and declines a record type with any rule that has none — every row then goes
through the pipeline — so a rule added later in Python alone is never skipped.

The SQL form may be *stricter* than the check (a row it refuses goes to the
pipeline, which gives the message), never looser.

What ``sql(plan, ctx)`` may use of the plan (the staged path's ``_Plan``):

- ``plan.spec`` — the ``TypeSpec``;
- ``plan.column(field)`` — the field's cell as staged (text after ``clean_text``, NULL when blank);
- ``plan.value(field)`` — its typed value (a date, a numeric, a ``text[]`` of a multi-choice field), NULL
  when the cell does not read as the pipeline would store it;
- ``plan.verified(field)`` — true when the staging checked a code (USCC, resident ID number) with the
  pipeline's own function and found it stored as sent.

The SQL is returned with ``%s`` placeholders and its parameters, in order.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from apps.subjects.codes import check_id_number

from .choices import FieldType, Role

PERSON_KIND = "自然人"
LEGAL_KIND = "法人及非法人组织"
INDIVIDUAL_BUSINESS_KIND = "个体工商户"
ID_CARD = "身份证"
DATE_TYPES = (FieldType.DATE, FieldType.OPEN_DATE)

# When a rule runs: with the catalog's own checks (``TypeSpec.validate``, any caller), or in an intake
# run (``Ingest``: after the in-file document-number check, with the reporting department known).
CATALOG = "catalog"
INTAKE = "intake"


@dataclass
class Problem:
    field: str  # field code, or "" for the row as a whole
    label: str
    message: str

    def __str__(self):
        return f"{self.label}：{self.message}" if self.label else self.message


@dataclass
class RowResult:
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


@dataclass(frozen=True)
class Context:
    """What a rule may know beyond the row: the day it is judged on, and the reporting department
    (``None`` outside an intake run, e.g. validating a form before anything is sent)."""

    today: datetime.date
    department: object | None = None


class Rule:
    """One row rule of a record type.

    A subclass says where it applies (``applies``), checks a row (``check``: the row's
    ``RowResult`` with its clean values and the problems found so far → a ``Problem`` or
    ``None``; it may replace a value by its checked form) and, where it can, gives its SQL
    form (``sql``). ``only_if_clean`` rules run only on a row with no problem yet (they
    read other data, and their message would only add to a refusal).
    """

    stage = CATALOG
    only_if_clean = False

    def __init__(self, spec):
        self.spec = spec

    @classmethod
    def applies(cls, spec) -> bool:
        return True

    @classmethod
    def bind(cls, spec) -> list["Rule"]:
        """The rule's instances for one record type (none where it does not apply)."""
        return [cls(spec)] if cls.applies(spec) else []

    @property
    def name(self) -> str:
        return type(self).__name__

    def check(self, row: RowResult, ctx: Context) -> Problem | None:
        raise NotImplementedError

    def sql(self, plan, ctx: Context) -> tuple[str, list] | None:
        return None

    # helpers
    def role(self, role: str):
        return self.spec.by_role.get(role)

    def problem(self, f, message: str) -> Problem:
        return Problem(f.code, f.label, message)


# --- conditions of required_when / forbidden_when ---------------------------------------------------


def condition_holds(condition: dict | None, values: dict) -> bool:
    """A required_when / forbidden_when condition, against already-clean values."""
    if not condition:
        return False
    current = values.get(condition.get("field"))
    if "in" in condition:
        return current in condition["in"]
    if "contains" in condition:
        return isinstance(current, list) and condition["contains"] in current
    if "equals" in condition:
        return current == condition["equals"]
    return False


def condition_sql(condition: dict, plan) -> tuple[str, list] | None:
    """The SQL of ``condition_holds`` (never NULL), or None for a shape it cannot say."""
    target = plan.spec.by_code.get(condition.get("field"))
    if target is None:
        return None
    column = plan.column(target)
    scalar = target.field_type in (FieldType.TEXT, FieldType.ENUM, FieldType.USCC)
    if "in" in condition:
        values = condition["in"]
        if not scalar or not all(isinstance(v, str) for v in values):
            return None
        return f"coalesce({column} = ANY(%s::text[]), false)", [list(values)]
    if "contains" in condition:
        if not isinstance(condition["contains"], str):
            return None
        if target.field_type != FieldType.MULTI_ENUM:
            return "false", []
        return f"coalesce(%s = ANY({plan.value(target)}), false)", [condition["contains"]]
    if "equals" in condition:
        if not scalar or not isinstance(condition["equals"], str):
            return None
        return f"coalesce({column} = %s, false)", [condition["equals"]]
    return "false", []


# --- the catalog's rules ------------------------------------------------------------------------------


class Presence(Rule):
    """必填 / 在此情形下必填 / 不应填写 of one field (its ``required``, ``required_when``, ``forbidden_when``)."""

    def __init__(self, spec, f):
        super().__init__(spec)
        self.field = f

    @classmethod
    def bind(cls, spec) -> list[Rule]:
        return [cls(spec, f) for f in spec.fields if f.required or f.required_when or f.forbidden_when]

    @property
    def name(self) -> str:
        return f"Presence({self.field.code})"

    def check(self, row, ctx):
        f, values = self.field, row.values
        if f.code in values:
            if f.forbidden_when and condition_holds(f.forbidden_when, values):
                return self.problem(f, f"行政相对人类别为“{values.get(f.forbidden_when['field'])}”时不应填写")
            return None
        # A value that failed its own check was there: only its own problem is reported.
        if any(p.field == f.code for p in row.problems):
            return None
        if f.required or condition_holds(f.required_when, values):
            return self.problem(f, f"{'必填' if f.required else '在此情形下必填'}，不能为空")
        return None

    def sql(self, plan, ctx):
        f, column = self.field, plan.column(self.field)
        parts, params = [], []
        if f.required:
            parts.append(f"{column} IS NOT NULL")
        elif f.required_when:
            when = condition_sql(f.required_when, plan)
            if when is None:
                return None
            parts.append(f"({column} IS NOT NULL OR NOT {when[0]})")
            params += when[1]
        if f.forbidden_when:
            when = condition_sql(f.forbidden_when, plan)
            if when is None:
                return None
            parts.append(f"({column} IS NULL OR NOT {when[0]})")
            params += when[1]
        return " AND ".join(parts) or "true", params


class _NotAfterToday(Rule):
    role_code = ""
    message = ""

    @classmethod
    def applies(cls, spec):
        return cls.role_code in spec.by_role

    def check(self, row, ctx):
        f = self.role(self.role_code)
        value = row.values.get(f.code)
        if value and value > ctx.today:
            return self.problem(f, self.message)
        return None

    def sql(self, plan, ctx):
        f = self.role(self.role_code)
        if f.field_type not in DATE_TYPES:
            return None
        return f"coalesce({plan.value(f)} <= %s, true)", [ctx.today]


class DecisionNotAfterToday(_NotAfterToday):
    role_code = Role.DECISION_DATE
    message = "决定日期不能晚于今天"


class ValidFromNotAfterToday(_NotAfterToday):
    role_code = Role.VALID_FROM
    message = "有效期起始日不能晚于今天"


class _DateOrder(Rule):
    """``later`` must not be before ``earlier`` (``strictly``: must be after it); reported on ``later``."""

    earlier = later = ""
    strictly = False
    message = ""

    @classmethod
    def applies(cls, spec):
        return cls.earlier in spec.by_role and cls.later in spec.by_role

    def check(self, row, ctx):
        first = row.values.get(self.role(self.earlier).code)
        second = row.values.get(self.role(self.later).code)
        if first and second and (second <= first if self.strictly else second < first):
            return self.problem(self.role(self.later), self.message)
        return None

    def sql(self, plan, ctx):
        first, second = self.role(self.earlier), self.role(self.later)
        if first.field_type not in DATE_TYPES or second.field_type not in DATE_TYPES:
            return None
        op = ">" if self.strictly else ">="
        return f"coalesce({plan.value(second)} {op} {plan.value(first)}, true)", []


class ValidToNotBeforeValidFrom(_DateOrder):
    earlier, later = Role.VALID_FROM, Role.VALID_TO
    message = "有效期至不能早于有效期自"


class PublicityEndAfterDecision(_DateOrder):
    earlier, later, strictly = Role.DECISION_DATE, Role.PUBLICITY_END, True
    message = "公示截止期应晚于决定日期"


class IndividualBusinessCode(Rule):
    """A 个体工商户 gives its USCC, or when it has none the operator's ID number."""

    @classmethod
    def applies(cls, spec):
        return Role.SUBJECT_KIND in spec.by_role and Role.SUBJECT_USCC in spec.by_role

    def check(self, row, ctx):
        values, uscc, person_id = row.values, self.role(Role.SUBJECT_USCC), self.role(Role.PERSON_ID)
        if values.get(self.role(Role.SUBJECT_KIND).code) != INDIVIDUAL_BUSINESS_KIND:
            return None
        if not values.get(uscc.code) and not (person_id and values.get(person_id.code)):
            return self.problem(uscc, "个体工商户应填写统一社会信用代码，没有的填写经营者证件号码")
        return None

    def sql(self, plan, ctx):
        kind, uscc, person_id = (self.role(r) for r in (Role.SUBJECT_KIND, Role.SUBJECT_USCC, Role.PERSON_ID))
        has_id = f"{plan.column(person_id)} IS NOT NULL" if person_id else "false"
        return (
            f"NOT (coalesce({plan.column(kind)} = %s, false) AND {plan.column(uscc)} IS NULL AND NOT {has_id})",
            [INDIVIDUAL_BUSINESS_KIND],
        )


class _ResidentIdNumber(Rule):
    """An ID number whose 证件类型 is 身份证 (or not given) must be a valid GB 11643 number;
    the stored value is the checked form. Other documents' numbers are stored as typed."""

    type_role = number_role = ""

    @classmethod
    def applies(cls, spec):
        return cls.type_role in spec.by_role and cls.number_role in spec.by_role

    def check(self, row, ctx):
        number_field = self.role(self.number_role)
        number = row.values.get(number_field.code)
        if number and row.values.get(self.role(self.type_role).code) in (None, ID_CARD):
            check = check_id_number(number)
            if not check.valid:
                return self.problem(number_field, "；".join(check.errors))
            row.values[number_field.code] = check.code
        return None

    def sql(self, plan, ctx):
        number_field = self.role(self.number_role)
        if number_field.field_type != FieldType.ID_NUMBER:
            return None
        # check_id_number needs Python: the staging runs it (and refuses any other 证件类型).
        return f"({plan.column(number_field)} IS NULL OR {plan.verified(number_field)})", []


class PersonIdNumber(_ResidentIdNumber):
    type_role, number_role = Role.PERSON_ID_TYPE, Role.PERSON_ID


class LegalRepIdNumber(_ResidentIdNumber):
    type_role, number_role = Role.LEGAL_REP_ID_TYPE, Role.LEGAL_REP_ID


class FineNeedsFinePenalty(Rule):
    @classmethod
    def applies(cls, spec):
        return Role.FINE_AMOUNT in spec.by_role and Role.PENALTY_KINDS in spec.by_role

    def check(self, row, ctx):
        fine_field = self.role(Role.FINE_AMOUNT)
        fine, kinds = row.values.get(fine_field.code), row.values.get(self.role(Role.PENALTY_KINDS).code)
        if fine is not None and kinds and "罚款" not in kinds and fine > Decimal(0):
            return self.problem(fine_field, "处罚类别未包含“罚款”，不应填写罚款金额")
        return None

    def sql(self, plan, ctx):
        fine, kinds = self.role(Role.FINE_AMOUNT), self.role(Role.PENALTY_KINDS)
        if fine.field_type != FieldType.DECIMAL or kinds.field_type != FieldType.MULTI_ENUM:
            return None
        arr = plan.value(kinds)
        return (
            f"NOT coalesce({plan.value(fine)} > 0 AND cardinality({arr}) > 0 AND NOT (%s = ANY({arr})), false)",
            ["罚款"],
        )


# --- the intake's rules (they need the reporting department) ----------------------------------------------


class SourceIsDepartment(Rule):
    """A department reports only its own data: the 数据来源单位统一社会信用代码, when given, is its own."""

    stage = INTAKE

    @classmethod
    def applies(cls, spec):
        return Role.SOURCE_USCC in spec.by_role

    def check(self, row, ctx):
        f = self.role(Role.SOURCE_USCC)
        source = row.values.get(f.code)
        if source and source != ctx.department.uscc:
            return self.problem(f, f"与报送部门（{ctx.department.name}）的统一社会信用代码不一致，只能报送本部门数据")
        return None

    def sql(self, plan, ctx):
        column = plan.column(self.role(Role.SOURCE_USCC))
        return f"({column} IS NULL OR {column} = %s)", [ctx.department.uscc]


# In the order their problems are listed (the order the pipeline always reported them in).
BUILT_IN: list[type[Rule]] = [
    Presence,
    DecisionNotAfterToday,
    ValidFromNotAfterToday,
    ValidToNotBeforeValidFrom,
    PublicityEndAfterDecision,
    IndividualBusinessCode,
    PersonIdNumber,
    LegalRepIdNumber,
    FineNeedsFinePenalty,
    SourceIsDepartment,
]

# Rules one record type adds (an app registers them in AppConfig.ready; e.g. the list entry's recogniser).
_REGISTERED: dict[str, list[type[Rule]]] = {}


def register(type_code: str, rule: type[Rule]) -> None:
    if rule not in _REGISTERED.setdefault(type_code, []):
        _REGISTERED[type_code].append(rule)


def unregister(type_code: str, rule: type[Rule]) -> None:
    if rule in _REGISTERED.get(type_code, []):
        _REGISTERED[type_code].remove(rule)


def rules_for(spec) -> list[Rule]:
    """Every rule of a record type, bound to it, in the order their problems are listed."""
    classes = [*BUILT_IN, *_REGISTERED.get(spec.record_type.code, [])]
    return [rule for cls in classes for rule in cls.bind(spec)]


def run_rules(rules, row: RowResult, ctx: Context) -> None:
    for rule in rules:
        if rule.only_if_clean and row.problems:
            continue
        problem = rule.check(row, ctx)
        if problem is not None:
            row.problems.append(problem)

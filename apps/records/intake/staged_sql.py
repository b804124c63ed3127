"""The staged import's SQL, generated from the catalog: each field's own check, every row rule's SQL form
(``apps.catalog.rules``), the stored JSON built exactly as Python writes it, and INSERT column lists."""

import contextlib
import json
import logging

from django.db import models, transaction

from apps.catalog.choices import FieldType, Role
from apps.catalog.normalise import fold
from apps.catalog.rules import Context

from ..services import KIND_MAP

# The staged path's one log (operators and tests read "staged import …" lines from it).
logger = logging.getLogger("apps.records.intake.staged")

DATE_TYPES = (FieldType.DATE, FieldType.OPEN_DATE)


class Plan:
    """The SQL of one record type's checks: each field's own type check and every row rule's SQL form
    (``apps.catalog.rules``). ``None`` when a rule has no SQL form or a shape the SQL side does not know."""

    def __init__(self, spec):
        self.spec = spec
        self.fields = spec.fields
        self.col = {f.code: f"c{i}" for i, f in enumerate(spec.fields)}
        self.rule_sql: list[tuple[str, list]] = []

    @classmethod
    def for_ingest(cls, ingest) -> "Plan | None":
        return cls.for_spec(ingest.spec, ingest.rule_context)

    @classmethod
    def for_spec(cls, spec, ctx: Context) -> "Plan | None":
        plan = cls(spec)
        # The roles the generated SQL relies on, with the field types it assumes for them.
        shapes = {
            Role.SUBJECT_NAME: (FieldType.TEXT,),
            Role.SUBJECT_KIND: (FieldType.ENUM,),
            Role.DECISION_NUMBER: (FieldType.TEXT,),
            Role.DECISION_DATE: (FieldType.DATE,),
        }
        optional = {
            Role.SUBJECT_USCC: (FieldType.USCC,),
            Role.LEGAL_REP: (FieldType.TEXT,),
            Role.PENALTY_KINDS: (FieldType.MULTI_ENUM,),
            Role.FINE_AMOUNT: (FieldType.DECIMAL,),
            Role.PUBLICITY_END: DATE_TYPES,
            Role.VALID_FROM: DATE_TYPES,
            Role.VALID_TO: DATE_TYPES,
        }
        if not all(role in spec.by_role for role in shapes):
            return None
        for role, types in {**shapes, **optional}.items():
            if role in spec.by_role and spec.by_role[role].field_type not in types:
                return None
        if not set(spec.by_role[Role.SUBJECT_KIND].choices) <= set(KIND_MAP):
            return None
        for f in spec.fields:
            if f.field_type in (FieldType.ENUM, FieldType.MULTI_ENUM):
                if not all(isinstance(c, str) and c and fold(c) == c for c in f.choices or []):
                    return None
        for rule in spec.rules:
            form = rule.sql(plan, ctx)
            if form is None:
                # Written in Python only: the staged path cannot tell which rows it refuses.
                logger.info("staged import declined for %s: rule %s has no SQL form", spec.record_type.code, rule.name)
                return None
            plan.rule_sql.append(form)
        return plan

    # What a rule's SQL form may use (apps.catalog.rules): the staged cell, its typed value, and
    # whether the staging checked a code with the pipeline's own function.
    def column(self, f) -> str:
        return f"s.{self.col[f.code]}"

    def verified(self, f) -> str:
        if f.field_type == FieldType.ID_NUMBER:
            # StagedImport._codes masks only a resident ID number check_id_number found valid as sent.
            return f"s.k{self.col[f.code][1:]} IS NOT NULL"
        return "false"  # no other check is made while staging

    # Typed value expressions over the stage row ``s`` and its look-ups.
    def value(self, f) -> str:
        c = f"s.{self.col[f.code]}"
        if f.field_type in DATE_TYPES:
            return f"d_{self.col[f.code]}.d"
        if f.field_type == FieldType.MULTI_ENUM:
            return f"m_{self.col[f.code]}.arr"
        if f.field_type == FieldType.DECIMAL:
            return f"(CASE WHEN {c} ~ '^(0|[1-9][0-9]{{0,17}})(\\.[0-9]*)?$' THEN {c}::numeric END)"
        return c

    def field_ok(self, f) -> str:
        """The row's value of this field passes its type's own check and is stored as it is (presence is a rule)."""
        c = f"s.{self.col[f.code]}"
        kind = f.field_type
        if kind in DATE_TYPES:
            check = f"d_{self.col[f.code]}.t IS NOT NULL"
        elif kind == FieldType.MULTI_ENUM:
            check = f"m_{self.col[f.code]}.t IS NOT NULL"
        elif kind == FieldType.ENUM:
            check = f"{c} = ANY({sql_text_array(f.choices)})"
        elif kind == FieldType.DECIMAL:
            places = f.decimal_places
            check = f"{c} ~ '^(0|[1-9][0-9]{{0,17}})(\\.[0-9]*)?$'"
            if places is not None:
                check += f" AND char_length(rtrim(split_part({c}, '.', 2), '0')) <= {int(places)}"
        elif kind in (FieldType.USCC, FieldType.ID_NUMBER):
            check = "true"  # checked by check_uscc / check_id_number as the row was staged (s.slow otherwise)
        else:
            check = f"char_length({c}) <= {int(f.max_length)}" if f.max_length else "true"
        return f"({c} IS NULL OR ({check}))"

    def rules_ok(self) -> tuple[str, list]:
        """Every row rule of the type (apps.catalog.rules), as one SQL condition with its parameters."""
        params = [p for _sql, rule_params in self.rule_sql for p in rule_params]
        return " AND ".join(f"({rule_sql})" for rule_sql, _params in self.rule_sql) or "true", params

    def joins(self) -> str:
        out = []
        for f in self.fields:
            c = self.col[f.code]
            if f.field_type in DATE_TYPES:
                out.append(f"LEFT JOIN staged_lk_{c} d_{c} ON d_{c}.t = s.{c}")
            elif f.field_type == FieldType.MULTI_ENUM:
                out.append(f"LEFT JOIN staged_lk_{c} m_{c} ON m_{c}.t = s.{c}")
        return "\n".join(out)

    def data_json(self) -> str:
        """The record's ``data`` as the exact text ``json.dumps(data, sort_keys=True, ensure_ascii=False)`` gives."""
        items = []
        for f in sorted(self.fields, key=lambda f: f.code):
            c = f"s.{self.col[f.code]}"
            key = json.dumps(f.code, ensure_ascii=False) + ": "
            if f.field_type in DATE_TYPES:
                value = f"'\"' || to_char({self.value(f)}, 'YYYY-MM-DD') || '\"'"
            elif f.field_type == FieldType.MULTI_ENUM:
                value = f"m_{self.col[f.code]}.js"
            elif f.field_type == FieldType.DECIMAL:
                # format(Decimal.normalize(), "f"): trailing zeros of the fraction and a bare point go.
                value = f"to_json(CASE WHEN strpos({c}, '.') > 0 THEN rtrim(rtrim({c}, '0'), '.') ELSE {c} END)::text"
            elif f.field_type == FieldType.ID_NUMBER:
                value = f"to_json(s.k{self.col[f.code][1:]})::text"
            else:
                value = f"to_json({c})::text"
            items.append(f"CASE WHEN {c} IS NOT NULL THEN {sql_literal(key)} || {value} END")
        return "'{' || concat_ws(', ', " + ", ".join(items) + ") || '}'"

    def private_json(self) -> str:
        ids = [f for f in self.fields if f.field_type == FieldType.ID_NUMBER]
        if not ids:
            return "'{}'"
        items = [
            f"CASE WHEN s.{self.col[f.code]} IS NOT NULL THEN {sql_literal(json.dumps(f.code) + ': ')}"
            f" || to_json(s.e{self.col[f.code][1:]})::text END"
            for f in sorted(ids, key=lambda f: f.code)
        ]
        return "'{' || concat_ws(', ', " + ", ".join(items) + ") || '}'"


def sql_literal(text: str) -> str:
    # Statements with generated SQL are always run with a parameter list, so % is doubled for psycopg.
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def sql_text_array(values) -> str:
    return "ARRAY[" + ", ".join(sql_literal(v) for v in values) + "]::text[]" if values else "ARRAY[]::text[]"


def insert_columns(model: type[models.Model], given: dict, now) -> tuple[str, str, list]:
    """Column list, SELECT expressions and parameters for an INSERT … SELECT of ``model``.

    ``given`` maps column → (SQL expression, parameter(s)); every other concrete column but the
    primary key gets its Django default (timestamps: ``now``), as ``Model.save`` would.
    """
    cols, exprs, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.column in given:
            expr, param = given[f.column]
            exprs.append(expr)
            if isinstance(param, list):
                params.extend(param)
            elif "%s" in expr:
                params.append(param)
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            exprs.append("%s")
            params.append(now)
        else:
            default = f.get_default()
            exprs.append("%s::jsonb" if isinstance(f, models.JSONField) else "%s")
            params.append(json.dumps(default) if isinstance(f, models.JSONField) else default)
        cols.append(f.column)
    unknown = set(given) - set(cols)
    if unknown:
        raise ValueError(f"unknown columns for {model.__name__}: {sorted(unknown)}")
    return ", ".join(cols), ", ".join(exprs), params


@contextlib.contextmanager
def planner_off(cursor, *methods: str):
    """Run the statements inside with the planner's ``enable_<method>`` settings off, in a transaction (or
    savepoint) of their own, and restored after them.

    For the staged tables' statements the right plan is known and the estimates are not: see
    ``hash_joins`` and ``StoreMixin.store_chunk``.
    """
    with transaction.atomic():
        names = [f"enable_{m}" for m in methods]
        cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in names), names)
        previous = cursor.fetchone()
        cursor.execute("SELECT " + ", ".join("set_config(%s, 'off', true)" for _ in names), names)
        yield
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
            [v for pair in zip(names, previous, strict=True) for v in pair],
        )


def hash_joins(cursor):
    """Nested-loop joins off for the statements inside.

    The staged tables are joined on equality only, row for row (a segment's rows with their look-ups, the
    policy table, the subjects found), so a hash join is always the right plan; but their estimates are
    poor (a filter of ~90 generated conditions is estimated at one row), and from one row the planner
    picks a nested loop that reads a look-up table once per row. Setting the plan this way also spares
    an ``ANALYZE`` of the wide staged tables per segment (~8 % of an import's time, measured).
    """
    return planner_off(cursor, "nestloop")

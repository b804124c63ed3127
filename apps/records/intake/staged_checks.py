"""The staged import, steps 2 and 3: the look-ups computed by the pipeline's own functions once per distinct
value (dates, 处罚类别 lists, the policy in force), the rows that pass every field check and rule (SQL generated
from the catalog, ``staged_sql``), and each passing row as it will be stored (typed columns, data JSON,
content hash, subject key).

A mixin of ``staged.StagedImport``.
"""

import datetime
import json

from django.db import connection
from psycopg import sql

from apps.catalog.choices import FieldType, Role
from apps.catalog.normalise import ValueProblem, parse_date
from apps.catalog.spec import PERSON_KIND, RowResult

from ..policy import PolicyMissing, publicity_for
from .staged_sql import DATE_TYPES, hash_joins, sql_literal


class ChecksMixin:
    """Look-ups, the passing rows and the rows to store, for the segment in ``staged_rows``."""

    def _new_values(self, cursor, column) -> list:
        """Distinct values of a column in this segment that have no look-up row yet."""
        cursor.execute(
            f"SELECT DISTINCT s.{column} FROM staged_rows s WHERE NOT s.slow AND s.{column} IS NOT NULL"  # noqa: S608
            f" AND NOT EXISTS (SELECT 1 FROM staged_lk_{column} l WHERE l.t = s.{column})",
            [],
        )
        return [r[0] for r in cursor.fetchall()]

    def _append(self, cursor, name, rows) -> None:
        if not rows:
            return
        with connection.wrap_database_errors, cursor.cursor.copy(sql.SQL(f"COPY {name} FROM STDIN")) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"ANALYZE {name}")

    def lookups(self) -> None:
        cursor = connection.cursor()
        for i, f in enumerate(self.fields):
            c = f"c{i}"
            # A value the rules refuse gets no row (and is looked at again if a later segment has it).
            if f.field_type in DATE_TYPES:
                rows = []
                for text in self._new_values(cursor, c):
                    try:
                        rows.append((text, parse_date(text, open_ended=f.field_type == FieldType.OPEN_DATE)))
                    except ValueProblem:
                        continue
                self._append(cursor, f"staged_lk_{c}", rows)
            elif f.field_type == FieldType.MULTI_ENUM:
                rows = []
                for text in self._new_values(cursor, c):
                    try:
                        parts = self.spec.clean(f, text, RowResult())
                    except ValueProblem:
                        continue
                    rows.append((text, parts, json.dumps(parts, ensure_ascii=False)))
                self._append(cursor, f"staged_lk_{c}", rows)

    # 3. the rows that pass, typed ---------------------------------------------------------------------------

    def select_passing(self) -> None:
        plan, cursor = self.plan, connection.cursor()
        cross, params = plan.rules_ok()
        own = " AND ".join(f"({plan.field_ok(f)})" for f in self.fields)
        number = self.col[self.ingest.f_number]
        cursor.execute("DROP TABLE IF EXISTS staged_ok")
        with hash_joins(cursor):
            cursor.execute(
                f"""CREATE TEMP TABLE staged_ok AS
                SELECT s.n FROM staged_rows s JOIN staged_numbers u ON u.number = s.{number} AND u.first_n = s.n
                {plan.joins()}
                WHERE NOT s.slow AND {own} AND {cross}
                """,  # noqa: S608 — generated from the catalog, values bound or quoted by sql_literal
                params,
            )

    def policies(self) -> None:
        """Deadline, severity and publicity window per distinct (decision date, 处罚类别, 公示截止期,
        失信行为严重程度 as stated), by the pipeline's ``resolve_severity`` and ``publicity_for``."""
        ingest, plan, cursor = self.ingest, self.plan, connection.cursor()
        spec = self.spec
        decision = spec.by_code[ingest.f_date]
        kinds = spec.by_code.get(ingest.f_kinds) if ingest.f_kinds else None
        end = spec.by_code.get(ingest.f_end) if ingest.f_end else None
        keys = [
            plan.value(decision),
            f"m_{self.col[kinds.code]}.js" if kinds else "NULL::text",
            plan.value(end) if end else "NULL::date",
            self.stated_sql(),
        ]
        with hash_joins(cursor):
            cursor.execute(
                f"""SELECT DISTINCT {", ".join(keys)} FROM staged_rows s JOIN staged_ok USING (n) {plan.joins()}
                    WHERE NOT EXISTS (SELECT 1 FROM staged_policy p WHERE p.decided = {keys[0]}
                        AND p.kinds = coalesce({keys[1]}, '') AND p.declared = coalesce({keys[2]}, '0001-01-01'::date)
                        AND p.stated = {keys[3]})""",  # noqa: S608
                [],
            )
            keys_found = cursor.fetchall()
        rows = []
        for decided, kinds_js, declared_end, stated in keys_found:
            penalty_kinds = json.loads(kinds_js) if kinds_js is not None else None
            try:
                days = ingest.policies.get("report_deadline_days", decided)
                deadline = ingest.deadlines.add(start=decided, days=days)
                severity, severity_source = ingest.resolve_severity(
                    stated=stated or None, penalty_kinds=penalty_kinds, decision_date=decided, fallback=self.severity
                )
                common = {
                    "policies": ingest.policies,
                    "decision_date": decided,
                    "severity": severity,
                    "penalty_kinds": penalty_kinds if ingest.f_kinds else None,
                    "declared_end": declared_end,
                }
                cap = ingest.policies.get("unpublished_fine_max", decided, default=None)
                big = publicity_for(**common, fine=None)
                small = publicity_for(**common, fine=cap) if cap is not None else big
            except PolicyMissing:
                continue  # those rows take the Python path, which reports the missing policy
            if big.warning or small.warning:
                continue  # a 公示截止期 the rule overrides: the pipeline stores the row and warns the clerk
            rows.append(
                [decided, kinds_js or "", declared_end or datetime.date.min, stated, deadline.deadline]
                + [deadline.calendar, severity, severity_source, cap]
                + [big.is_publicised, big.min_end, big.end, small.is_publicised, small.min_end, small.end]
            )
        self._append(cursor, "staged_policy", rows)

    def stated_sql(self) -> str:
        """The row's 失信行为严重程度 as sent ('' when empty or the type has no such column)."""
        code = self.ingest.f_severity
        return f"coalesce(s.{self.col[code]}, '')" if code else "''::text"

    def build(self, segment: int) -> None:
        """Every passing row as it will be stored: typed columns, data JSON, content hash, subject key."""
        ingest, plan, spec, cursor = self.ingest, self.plan, self.spec, connection.cursor()
        v = {role: spec.by_role.get(role) for role in Role.values}

        def value(role, default="NULL"):
            f = v.get(role)
            return plan.value(f) if f else default

        kinds = v[Role.PENALTY_KINDS]
        fine = value(Role.FINE_AMOUNT)
        small = f"(p.cap IS NOT NULL AND {fine} IS NOT NULL AND {fine} <= p.cap)"
        kind_col = f"s.{self.col[ingest.f_kind]}"
        uscc = f"s.{self.col[ingest.f_uscc]}" if ingest.f_uscc else "NULL::text"
        legal_rep = f"s.{self.col[ingest.f_legal_rep]}" if ingest.f_legal_rep else "NULL::text"
        cursor.execute("DROP TABLE IF EXISTS staged_build")
        with hash_joins(cursor):
            cursor.execute(
                f"""CREATE TEMP TABLE staged_build AS
                SELECT s.n, {int(segment)} AS chunk,
                       {value(Role.SUBJECT_NAME)} AS subject_name, {kind_col} AS subject_kind,
                       {uscc} AS uscc, {legal_rep} AS legal_rep, s.h AS id_hash,
                       s.{self.col[ingest.f_number]} AS decision_number, {value(Role.DECISION_DATE)} AS decision_date,
                       {value(Role.VALID_TO)}::date AS valid_to,
                       p.deadline, p.calendar, p.severity, p.severity_source,
                       CASE WHEN {small} THEN p.small_pub ELSE p.big_pub END AS is_publicised,
                       CASE WHEN {small} THEN p.small_min ELSE p.big_min END AS publicity_min_end,
                       CASE WHEN {small} THEN p.small_end ELSE p.big_end END AS publicity_end,
                       j.data, {plan.private_json()} AS private_data,
                       encode(sha256(convert_to(j.data, 'UTF8')), 'hex') AS content_hash,
                       CASE WHEN {kind_col} = {sql_literal(PERSON_KIND)} THEN 'h' || s.h
                            WHEN {uscc} IS NOT NULL THEN 'u' || {uscc} END AS subject_key,
                       NULL::bigint AS old_id, false AS changed
                FROM staged_rows s JOIN staged_ok USING (n) {plan.joins()}
                JOIN staged_policy p ON p.decided = {value(Role.DECISION_DATE)}
                  AND p.kinds = coalesce({f"m_{self.col[kinds.code]}.js" if kinds else "NULL"}, '')
                  AND p.declared = coalesce({value(Role.PUBLICITY_END, "NULL::date")}, '0001-01-01'::date)
                  AND p.stated = {self.stated_sql()}
                CROSS JOIN LATERAL (SELECT {plan.data_json()} AS data) j
                """,  # noqa: S608 — generated from the catalog
                [],
            )
        # Not analysed: the planner reads its size from its pages, all the look-up of records on file
        # (StoreMixin._find_on_file) needs; statistics of its wide columns (data, ~1 KB a row) cost ~0.3 s a
        # segment.

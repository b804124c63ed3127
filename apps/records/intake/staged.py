"""The staged import: a large file's rows validated and stored set-based inside PostgreSQL.

Checking ~30 fields per row in Python costs ~100–200 µs, while PostgreSQL
loads a row by ``COPY`` in ~6 µs. So on PostgreSQL an upload (or
``import_records``) goes this way:

1. The rows are streamed by ``COPY`` into a temporary table, each cell already
   put through ``clean_text`` (the first step every field type takes).
2. What needs the exact Python rules but has few distinct values — dates in
   every spelling, 处罚类别 lists, the policy in force (deadline, publicity
   window) per decision date — is computed **by the pipeline's own functions**
   once per distinct value and joined back. USCCs and ID numbers are checked by
   ``check_uscc`` / ``check_id_number`` as each row is read, where their keyed
   hash and cipher text are made too (the keys never reach SQL). The rest
   (lengths, enumerations) are SQL expressions generated from the catalog's field
   types, so a new record type needs no code here either. Every row rule
   (required / required-when / forbidden-when, the cross-field rules, the intake's
   own) is taken from ``apps.catalog.rules`` in its SQL form — the same object
   whose Python check the pipeline runs; a type with a rule that has no SQL form
   is declined here and goes through the pipeline whole.
3. A row passes only if every field is in the form the Python pipeline would
   store unchanged and every rule holds. Such rows become records and subjects
   by ``INSERT … SELECT``, in chunks (one transaction each, progress after
   each), and add to the run's submission batch counts (one upsert per chunk). ``data`` is built as the exact JSON text Python
   writes (sorted keys, same separators and escapes) so ``content_hash`` —
   and with it re-upload detection — is the same whichever path stored a row.
4. **Every other row** — anything rejected, anything unusual (full-width
   digits, ``2024年7月1日``, a document number already on file with other
   content, a later row repeating a document number, a formula without value…) — goes
   through the ordinary ``Ingest`` pipeline unchanged, so messages, corrections
   and history are exactly the ones it gives. Only the first row of a document
   number is stored here; the pipeline is told those first rows, so a later row
   repeating the number gets its "与第N行的决定文书号重复".

The file is read and stored segment by segment (``IMPORT_STAGED_CHUNK_ROWS``);
an .xlsx is read ahead by a thread while PostgreSQL stores the last segment.

The SQL side may therefore only ever be *stricter*: when it is unsure, the row
goes the Python way. ``apps/records/tests/test_staged_import.py`` imports the
same hostile files both ways and compares every record, rejected submission, batch count and subject.
"""

import contextlib
import datetime
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from apps.catalog.choices import FieldType, Role
from apps.catalog.normalise import ValueProblem, clean_text, parse_date
from apps.catalog.spec import ID_CARD, PERSON_KIND, RowResult, uscc_verdict
from apps.subjects.choices import OperatingStatus, SubjectKind
from apps.subjects.codes import check_id_number, mask_id_number
from apps.subjects.masking import personal_numbers
from apps.subjects.models import Subject
from apps.subjects.pii import encrypt, id_number_hash

from ..choices import Outcome, Status
from ..models import Record
from ..policy import PolicyMissing, publicity_for
from ..services import KIND_MAP, intake_lock, submission_batch_add
from .staged_sql import DATE_TYPES, Plan, insert_columns, sql_literal
from .table import SheetRow

logger = logging.getLogger(__name__)

# A row's cells are joined with a printable separator so that one C-level test per row tells whether
# any cell needs clean_text at all (most rows of a real file need none): the join must be printable
# and hold no double space and no space beside the separator. A separator inside a cell only costs
# that row the per-cell path.
_JOIN = "\u2400"  # SYMBOL FOR NULL


def staged_available(ingest) -> bool:
    """Whether this run may take the staged path: PostgreSQL, a submitting run, every rule with an SQL form."""
    if connection.vendor != "postgresql" or not settings.IMPORT_STAGED:
        return False
    if not ingest.submit:
        return False
    return Plan.for_ingest(ingest) is not None


@dataclass
class StagedResult:
    accepted: int = 0
    duplicates: int = 0


# --- the run --------------------------------------------------------------------------------------------------


class StagedImport:
    """One staged run over a table's rows for an ``Ingest``; ``run`` returns the rows left to the Python path."""

    def __init__(self, ingest, *, read_errors: tuple = ()):
        self.ingest = ingest
        self.read_errors = read_errors
        self.read_error: Exception | None = None
        self.spec = ingest.spec
        self.plan = Plan.for_ingest(ingest)
        self.fields = self.spec.fields
        self.col = self.plan.col
        self.date_cols = {i for i, f in enumerate(self.fields) if f.field_type in DATE_TYPES}
        self.uscc_cols = [i for i, f in enumerate(self.fields) if f.field_type == FieldType.USCC]
        # Text cells the pipeline looks at for ID and mobile numbers (TypeSpec._clean warns about them).
        self.warn_cols = [
            i for i, f in enumerate(self.fields) if f.field_type == FieldType.TEXT and f.role != Role.LEGACY_CODE
        ]
        # ID-number fields with the position of their 证件类型 field (TypeSpec._check_id), and the subject's own.
        types = {Role.PERSON_ID: Role.PERSON_ID_TYPE, Role.LEGAL_REP_ID: Role.LEGAL_REP_ID_TYPE}
        positions = {f.code: i for i, f in enumerate(self.fields)}
        self.id_cols = []
        for i, f in enumerate(self.fields):
            if f.field_type == FieldType.ID_NUMBER:
                type_field = self.spec.by_role.get(types.get(f.role))
                self.id_cols.append((i, positions[type_field.code] if type_field else None))
        person = ingest.f_person_id
        self.person_col = (
            positions[person] if person and self.spec.by_code[person].field_type == FieldType.ID_NUMBER else None
        )
        # row → the row as read, for rows the Python path must see as they were (cell problems, merged
        # cells, numbers in date cells…): only those are held in memory.
        self.held: dict[int, object] = {}
        self.result = StagedResult()
        self.now = timezone.now()

    # 1. stage -------------------------------------------------------------------------------------------------

    def _cells(self, table, raw, cells) -> tuple[list | None, object | None]:
        """The row's cells as staged text (clean_text applied), and the row as the pipeline takes it when
        the pipeline must see it as read (reader problems, merged cells, numbers in date cells…).

        ``(None, None)`` for a blank row, which ``Table.records`` skips too.
        """
        held = None
        if raw.problems or raw.merged:
            held = table.sheet_row(raw)
            if held is None:
                return None, None
        for i, v in enumerate(cells):
            if v is None or type(v) is str:
                continue
            if isinstance(v, bool) or (isinstance(v, float) and abs(v) >= 1e15):
                held = held or table.sheet_row(raw)  # booleans; long numbers Excel has cut short
            elif isinstance(v, int | float) and i in self.date_cols:
                # parse_date reads a number as a serial; only a whole 5-digit one reads alike as text.
                if not (10000 <= v <= 99999 and (isinstance(v, int) or v.is_integer())):
                    held = held or table.sheet_row(raw)
            elif isinstance(v, datetime.datetime | datetime.date):
                if i in self.date_cols:
                    cells[i] = (v.date() if isinstance(v, datetime.datetime) else v).isoformat()
                    continue
            cells[i] = clean_text(v)
        joined = _JOIN.join([v for v in cells if v is not None])
        if not (
            joined.isprintable()
            and "  " not in joined
            and f" {_JOIN}" not in joined
            and f"{_JOIN} " not in joined
            and joined[:1] != " "
            and joined[-1:] != " "
        ):
            for i, v in enumerate(cells):
                if v is not None:
                    cleaned = clean_text(v)
                    if i in self.uscc_cols and cleaned != v:
                        # check_uscc folds the cell as sent (a zero-width character is an error there).
                        held = held or table.sheet_row(raw)
                    cells[i] = cleaned or None
        cells = [v or None for v in cells]  # an empty string (e.g. a formula cell written without a value) is blank
        if held is None and not any(cells):
            # Blank, or only characters clean_text drops (a zero-width space): the pipeline decides.
            held = table.sheet_row(raw) if joined else None
            if held is None:
                return None, None
        return cells, held

    def _codes(self, cells) -> list | None:
        """USCC and ID-number cells checked as the pipeline checks them; their keyed hash, cipher text and
        masked form (the keys stay in Python). None when any of them is not exactly what the pipeline
        would store (wrong, or needing normalisation, or a warning): that row takes the Python path."""
        for i in self.uscc_cols:
            v = cells[i]
            if v is not None:
                valid, code, _errors, warnings = uscc_verdict(v)
                if not valid or warnings or code != v:
                    return None
        extra, person_hash = [], None
        for i, type_i in self.id_cols:
            v = cells[i]
            if v is None:
                extra += [None, None]
                continue
            if type_i is None or cells[type_i] not in (None, ID_CARD):
                return None  # not a resident ID number: stored as typed, links no subject — the Python path
            check = check_id_number(v)
            if not check.valid or check.code != v:
                return None
            extra += [encrypt(v), mask_id_number(v)]
            if i == self.person_col:
                person_hash = id_number_hash(v)
        return [person_hash, *extra]

    def _warned(self, cells) -> bool:
        """An ID or mobile number in a name or free-text cell: the pipeline warns the clerk, so that row goes
        the Python way. One look over the row's text cells joined (the separator ends any number)."""
        return bool(personal_numbers(_JOIN.join([cells[i] for i in self.warn_cols if cells[i] is not None])))

    def _create_tables(self) -> None:
        cursor = connection.cursor()
        columns = ", ".join(f"c{i} text" for i in range(len(self.fields)))
        codes = ", ".join(["h text", *(f"e{i} text, k{i} text" for i, _ in self.id_cols)])
        self.drop(reset=False)
        row = f"n integer, slow boolean, {columns}, {codes}"
        # The segment being stored, and what every segment left to the pipeline.
        cursor.execute(f"CREATE TEMP TABLE staged_rows ({row})")
        cursor.execute(f"CREATE TEMP TABLE staged_left ({row})")
        # First row of each document number in the file so far: only a first occurrence can be stored
        # here (a later one is the pipeline's "与第N行的决定文书号重复").
        cursor.execute("CREATE TEMP TABLE staged_numbers (number text PRIMARY KEY, first_n integer)")
        cursor.execute("CREATE TEMP TABLE staged_done (n integer PRIMARY KEY, record_id bigint, outcome text)")
        for i, f in enumerate(self.fields):
            if f.field_type in DATE_TYPES:
                cursor.execute(f"CREATE TEMP TABLE staged_lk_c{i} (t text PRIMARY KEY, d date)")
            elif f.field_type == FieldType.MULTI_ENUM:
                cursor.execute(f"CREATE TEMP TABLE staged_lk_c{i} (t text PRIMARY KEY, arr text[], js text)")
        cursor.execute(
            "CREATE TEMP TABLE staged_policy (decided date, kinds text, declared date, stated text, deadline date,"
            " calendar text, severity text, severity_source text,"
            " cap numeric, big_pub boolean, big_min date, big_end date, small_pub boolean, small_min date,"
            " small_end date, PRIMARY KEY (decided, kinds, declared, stated))"
        )

    def _prepared(self, table):
        """The table's rows as staged rows (the Python side of staging: clean, check codes, encrypt)."""
        blank_codes = [None] * (1 + 2 * len(self.id_cols))
        for raw, cells in table.cells(self.fields):
            cells, held = self._cells(table, raw, cells)
            if cells is None:
                continue
            if held is not None:
                self.held[raw.number] = held
                # Staged only so that its document number counts for the rows after it.
                yield [raw.number, True, *(clean_text(held.get(f.code)) or None for f in self.fields), *blank_codes]
                continue
            extra = self._codes(cells)
            if extra is not None and self._warned(cells):
                extra = None
            yield [raw.number, extra is None, *cells, *(extra or blank_codes)]

    def _segments(self, table, size: int):
        """Iterators over the staged rows of one segment each (about ``size`` rows, in file order).

        A read error ends the segments after the rows read before it (kept, as the pipeline keeps its
        earlier batches); ``read_error`` holds it for the caller.
        """
        if table.source.kind == "xlsx":
            return self._segments_read_ahead(table, size)
        return self._segments_inline(table, size)

    def _segments_inline(self, table, size: int):
        # A CSV reads at ~100,000 rows/s: a reading thread would only contend for the GIL and the cores.
        rows = self._prepared(table)
        finished = False

        def segment():
            nonlocal finished
            try:
                for count, row in enumerate(rows, start=1):
                    yield row
                    if count >= size:
                        return
            except self.read_errors as exc:
                self.read_error = exc
            finished = True

        while not finished:
            yield segment()

    def _segments_read_ahead(self, table, size: int):
        """Reading an .xlsx is slow Python work and storing is PostgreSQL's: with the reader in a thread,
        the next segment is read while the database stores the last one, on the machine's other core.
        The thread runs at most one segment ahead, so memory stays bounded."""
        batch_rows = 1000
        pending: queue.Queue = queue.Queue(maxsize=max(size // batch_rows, 2))
        stop = threading.Event()
        finished = False

        def read():
            batch = []
            try:
                for row in self._prepared(table):
                    batch.append(row)
                    if len(batch) >= batch_rows:
                        pending.put(("rows", batch))
                        batch = []
                        if stop.is_set():
                            return
                pending.put(("rows", batch))
                pending.put(("end", None))
            except BaseException as exc:  # noqa: BLE001 — handed to the storing thread
                pending.put(("rows", batch))
                pending.put(("error", exc))

        def segment():
            nonlocal finished
            count = 0
            while count < size:
                kind, payload = pending.get()
                if kind == "rows":
                    yield from payload
                    count += len(payload)
                    continue
                finished = True
                if kind == "error":
                    if not isinstance(payload, self.read_errors):
                        raise payload
                    self.read_error = payload
                return

        reader = threading.Thread(target=read, name="staged-import-reader", daemon=True)
        reader.start()
        try:
            while not finished:
                yield segment()
        finally:
            stop.set()
            while reader.is_alive():  # let a blocked put() finish so the thread can end
                with contextlib.suppress(queue.Empty):
                    pending.get(timeout=0.1)
            reader.join()

    def _copy(self, rows) -> int:
        cursor = connection.cursor()
        cursor.execute("TRUNCATE staged_rows")
        count = 0
        with connection.wrap_database_errors, cursor.cursor.copy(sql.SQL("COPY staged_rows FROM STDIN")) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        if not count:
            return 0
        cursor.execute("ANALYZE staged_rows")
        number = self.col[self.ingest.f_number]
        cursor.execute(
            f"INSERT INTO staged_numbers SELECT {number}, min(n) FROM staged_rows"  # noqa: S608
            f" WHERE {number} IS NOT NULL GROUP BY {number} ON CONFLICT (number) DO NOTHING"
        )
        return count

    # 2. look-ups computed by the pipeline's own functions ---------------------------------------------------

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
        cursor.execute(
            f"""CREATE TEMP TABLE staged_ok AS
            SELECT s.n FROM staged_rows s JOIN staged_numbers u ON u.number = s.{number} AND u.first_n = s.n
            {plan.joins()}
            WHERE NOT s.slow AND {own} AND {cross}
            """,  # noqa: S608 — generated from the catalog, values bound or quoted by sql_literal
            params,
        )
        cursor.execute("CREATE INDEX ON staged_ok (n)")
        cursor.execute("ANALYZE staged_ok")

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
        cursor.execute(
            f"""SELECT DISTINCT {", ".join(keys)} FROM staged_rows s JOIN staged_ok USING (n) {plan.joins()}
                WHERE NOT EXISTS (SELECT 1 FROM staged_policy p WHERE p.decided = {keys[0]}
                    AND p.kinds = coalesce({keys[1]}, '') AND p.declared = coalesce({keys[2]}, '0001-01-01'::date)
                    AND p.stated = {keys[3]})""",  # noqa: S608
            [],
        )
        rows = []
        for decided, kinds_js, declared_end, stated in cursor.fetchall():
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
        cursor.execute("ANALYZE staged_build")

    # 4. store, chunk by chunk ---------------------------------------------------------------------------------

    def store_chunk(self, chunk: int) -> tuple[int, int]:
        ingest, cursor, now = self.ingest, connection.cursor(), self.now
        dept, rtype = ingest.department, ingest.record_type
        with transaction.atomic():
            intake_lock(department=dept, record_type=rtype, upload=ingest.upload, actor=ingest.actor)
            cursor.execute(
                """UPDATE staged_build b SET old_id = r.id,
                       changed = NOT (r.content_hash = b.content_hash AND r.status <> %s)
                   FROM records_record r
                   WHERE b.chunk = %s AND r.department_id = %s AND r.record_type_id = %s
                     AND r.decision_number = b.decision_number""",
                [Status.REVOKED, chunk, dept.pk, rtype.pk],
            )
            with self._step("store: subjects"):
                self._link_subjects(cursor, chunk)
            status = Status.PENDING_REVIEW if dept.requires_review else Status.PUBLISHED
            local_today = timezone.localtime(now).date()
            record_cols = {
                "record_type_id": ("%s", rtype.pk),
                "catalog_version": ("%s", rtype.version),
                "department_id": ("%s", dept.pk),
                "data": ("b.data::jsonb", None),
                "private_data": ("b.private_data::jsonb", None),
                "subject_id": ("m.sid", None),
                "subject_name": ("b.subject_name", None),
                "subject_kind": ("b.subject_kind", None),
                "subject_code": ("coalesce(m.public_code, b.uscc, '')", None),
                "decision_number": ("b.decision_number", None),
                "decision_date": ("b.decision_date", None),
                "valid_to": ("b.valid_to", None),
                "severity": ("b.severity", None),
                "severity_source": ("b.severity_source", None),
                "status": ("%s", status),
                "report_deadline": ("b.deadline", None),
                "deadline_calendar": ("b.calendar", None),
                "reported_at": ("%s", now),
                # 及时率 judges 按时上网公示: a department that reviews first publishes later.
                "published_at": ("%s::timestamptz", now if status == Status.PUBLISHED else None),
                "timely": ("CASE WHEN %s THEN %s <= b.deadline END", [status == Status.PUBLISHED, local_today]),
                "is_publicised": ("b.is_publicised", None),
                "publicity_start": (
                    "CASE WHEN b.is_publicised AND %s THEN %s::date END",
                    [status == Status.PUBLISHED, local_today],
                ),
                "publicity_min_end": ("b.publicity_min_end", None),
                "publicity_end": ("b.publicity_end", None),
                "source": ("%s", ingest.source),
                "upload_id": ("%s", ingest.upload.pk if ingest.upload else None),
                "content_hash": ("b.content_hash", None),
                "created_by_id": ("%s", ingest.actor.pk if ingest.actor else None),
                "created_by_label": ("%s", ingest.actor_label[:100]),
            }
            cols, exprs, params = insert_columns(Record, record_cols, now)
            # Records only: no "create" event (the record is its own creation entry) and no per-row
            # submission (the run's batch counts these rows, below).
            cursor.execute(
                f"""WITH ins AS (
                        INSERT INTO records_record ({cols})
                        SELECT {exprs} FROM staged_build b LEFT JOIN staged_subjects m ON m.skey = b.subject_key
                        WHERE b.chunk = %s AND b.old_id IS NULL ORDER BY b.n
                        RETURNING id, decision_number)
                    INSERT INTO staged_done (n, record_id, outcome)
                    SELECT b.n, ins.id, %s FROM ins JOIN staged_build b
                      ON b.decision_number = ins.decision_number AND b.chunk = %s""",  # noqa: S608
                [*params, chunk, Outcome.ACCEPTED, chunk],
            )
            accepted = cursor.rowcount
            cursor.execute(
                "INSERT INTO staged_done (n, record_id, outcome)"
                " SELECT n, old_id, %s FROM staged_build WHERE chunk = %s AND old_id IS NOT NULL AND NOT changed",
                [Outcome.DUPLICATE, chunk],
            )
            duplicates = cursor.rowcount
            if accepted or duplicates:
                # Every row stored here passed every rule: compliant.
                submission_batch_add(
                    ingest,
                    now=now,
                    counts={
                        Outcome.ACCEPTED: accepted,
                        Outcome.DUPLICATE: duplicates,
                        "compliant": accepted + duplicates,
                    },
                )
        return accepted, duplicates

    def _link_subjects(self, cursor, chunk: int) -> None:
        """Find each row's subject by code; register the ones not seen yet (first row's name wins, as in Ingest)."""
        cursor.execute("DROP TABLE IF EXISTS staged_subjects")
        cursor.execute(
            """CREATE TEMP TABLE staged_subjects AS
               WITH k AS (SELECT DISTINCT subject_key, uscc, id_hash, subject_kind FROM staged_build
                          WHERE chunk = %s AND subject_key IS NOT NULL AND NOT changed)
               SELECT DISTINCT ON (skey) skey, sid, public_code FROM (
                   SELECT k.subject_key AS skey, s.id AS sid, s.uscc AS public_code
                   FROM k JOIN subjects_subject s ON s.uscc = k.uscc WHERE k.subject_kind <> %s
                   UNION ALL
                   SELECT k.subject_key, s.id, CASE WHEN s.uscc <> '' THEN s.uscc ELSE s.id_number_masked END
                   FROM k JOIN subjects_subject s ON s.id_number_hash = k.id_hash WHERE k.subject_kind = %s
               ) found ORDER BY skey, sid""",
            [chunk, PERSON_KIND, PERSON_KIND],
        )
        kinds = "CASE b.subject_kind " + " ".join(
            f"WHEN {sql_literal(label)} THEN {sql_literal(kind)}" for label, kind in KIND_MAP.items()
        )
        person = f"b.subject_kind = {sql_literal(PERSON_KIND)}"
        person_id = self.col.get(self.ingest.f_person_id) if self.ingest.f_person_id else None
        enc = f"s.e{person_id[1:]}" if person_id else "NULL"
        masked = f"s.k{person_id[1:]}" if person_id else "NULL"
        cols, exprs, params = insert_columns(
            Subject,
            {
                "kind": (kinds + " END", None),
                "name": ("b.subject_name", None),
                "uscc": (f"CASE WHEN {person} THEN '' ELSE b.uscc END", None),
                "legal_representative": (f"CASE WHEN {person} THEN '' ELSE coalesce(b.legal_rep, '') END", None),
                "code_valid": ("true", None),
                "code_warnings": ("'[]'::jsonb", None),
                "region_code": (
                    f"CASE WHEN {person} THEN substr(s.{person_id}, 1, 6) ELSE substr(b.uscc, 3, 6) END"
                    if person_id
                    else "substr(b.uscc, 3, 6)",
                    None,
                ),
                "status": ("%s", OperatingStatus.OPERATING),
                "id_number_hash": (f"CASE WHEN {person} THEN b.id_hash ELSE '' END", None),
                "id_number_masked": (f"CASE WHEN {person} THEN {masked} ELSE '' END", None),
                "id_number_encrypted": (f"CASE WHEN {person} THEN {enc} ELSE '' END", None),
            },
            self.now,
        )
        cursor.execute(
            f"""WITH ins AS (
                    INSERT INTO subjects_subject ({cols})
                    SELECT {exprs} FROM (
                        SELECT DISTINCT ON (b.subject_key) b.* FROM staged_build b
                        WHERE b.chunk = %s AND b.subject_key IS NOT NULL AND NOT b.changed
                          AND NOT EXISTS (SELECT 1 FROM staged_subjects m WHERE m.skey = b.subject_key)
                        ORDER BY b.subject_key, b.n) b
                    JOIN staged_rows s USING (n)
                    RETURNING id, uscc, id_number_hash, id_number_masked, kind)
                INSERT INTO staged_subjects (skey, sid, public_code)
                SELECT CASE WHEN kind = %s THEN 'h' || id_number_hash ELSE 'u' || uscc END, id,
                       CASE WHEN uscc <> '' THEN uscc ELSE id_number_masked END FROM ins""",  # noqa: S608
            [*params, chunk, SubjectKind.PERSON],
        )

    # 5. everything else: the Python pipeline, in file order ------------------------------------------------

    def leftover_rows(self):
        """The rows the staged path did not store, as ``(row_number, row)`` in file order, read in pages."""
        codes = [f.code for f in self.fields]
        last = -1
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""SELECT s.n, {", ".join(f"s.c{i}" for i in range(len(codes)))}
                        FROM staged_left s WHERE s.n > %s ORDER BY s.n LIMIT 1000""",  # noqa: S608
                    [last],
                )
                page = cursor.fetchall()
            if not page:
                return
            for n, *cells in page:
                last = n
                row = self.held.pop(n, None)
                if row is None:
                    row = SheetRow(
                        n, {code: value for code, value in zip(codes, cells, strict=True) if value is not None}
                    )
                yield n, row

    @contextlib.contextmanager
    def _step(self, name):
        started = time.perf_counter()
        yield
        self.timings[name] = self.timings.get(name, 0) + time.perf_counter() - started

    def run(self, table, *, severity=None, on_chunk=None):
        """Stage and store the table's rows segment by segment; returns the leftover rows' iterator.

        ``severity`` stands for rows that state none, as in ``Ingest.run``; each row's own
        失信行为严重程度, or the rule table, decides otherwise."""
        self.severity = severity
        self.timings = {}
        self._create_tables()
        with connection.cursor() as cursor:
            # Sorts and hashes over a segment's wide rows: in memory, not spilled to disk (reset in drop()).
            cursor.execute("SET work_mem = '128MB'")
        size = settings.IMPORT_STAGED_CHUNK_ROWS
        for segment, rows in enumerate(self._segments(table, size)):
            with self._step("stage"):
                if not self._copy(rows):
                    continue
            for name, step in (
                ("lookups", self.lookups),
                ("select", self.select_passing),
                ("policies", self.policies),
                ("build", lambda segment=segment: self.build(segment)),
            ):
                with self._step(name):
                    step()
            with self._step("store"), transaction.atomic():
                accepted, duplicates = self.store_chunk(segment)
                self._after_write(segment)
                with connection.cursor() as cursor:
                    cursor.execute(
                        "INSERT INTO staged_left SELECT s.* FROM staged_rows s"
                        " WHERE NOT EXISTS (SELECT 1 FROM staged_done d WHERE d.n = s.n)"
                    )
            self.result.accepted += accepted
            self.result.duplicates += duplicates
            if on_chunk:
                on_chunk(accepted, duplicates)
        self._seed_seen_numbers()
        logger.info(
            "staged import: %s stored, %s duplicates; %s",
            self.result.accepted,
            self.result.duplicates,
            ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items()),
        )
        return self.leftover_rows()

    def _after_write(self, chunk: int) -> None:
        """The type's ``after_write`` hook (a list entry's overlay row) for the records this segment created,
        in the segment's transaction, as the pipeline calls it for each batch. (Rows that change a record
        on file take the pipeline, which calls it for them.)"""
        after_write = self.ingest.hooks.after_write
        if after_write is None:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.record_id FROM staged_done d JOIN staged_build b USING (n)"
                " WHERE b.chunk = %s AND d.outcome = %s ORDER BY d.n",
                [chunk, Outcome.ACCEPTED],
            )
            ids = [record_id for (record_id,) in cursor.fetchall()]
        if ids:
            by_id = Record.objects.select_related("subject", "department", "record_type").in_bulk(ids)
            after_write(records=[by_id[i] for i in ids])

    def _seed_seen_numbers(self) -> None:
        """Tell the pipeline the document numbers whose first row was stored here, for the rows repeating them."""
        number = self.col[self.ingest.f_number]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT u.number, u.first_n FROM staged_numbers u JOIN staged_done d ON d.n = u.first_n
                    WHERE u.number IN (SELECT {number} FROM staged_left) ORDER BY u.first_n"""  # noqa: S608
            )
            for value, first in cursor.fetchall():
                self.ingest.seen_keys.setdefault(value, first)

    def drop(self, *, reset: bool = True) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT string_agg(quote_ident(relname), ', ') FROM pg_class"
                " WHERE relnamespace = pg_my_temp_schema() AND relname LIKE 'staged\\_%%' AND relkind = 'r'"
            )
            (names,) = cursor.fetchone()
            if names:
                cursor.execute(f"DROP TABLE IF EXISTS {names}")
            if reset:
                cursor.execute("RESET work_mem")

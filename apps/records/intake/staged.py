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
an .xlsx is read ahead by a thread while PostgreSQL stores the last segment, a large one parsed in a child
process that thread stages from (``xlsx_process.py``).

The SQL side may therefore only ever be *stricter*: when it is unsure, the row
goes the Python way. ``apps/records/tests/test_staged_import.py`` imports the
same hostile files both ways and compares every record, rejected submission, batch count and subject.

The modules, one-way: ``staged_sql`` (the SQL generated from the catalog) ← ``staged_reading`` (step 1),
``staged_checks`` (steps 2–3), ``staged_store`` (step 4) ← this one (the run: its temp tables, the
segments, the rows left to the pipeline).
"""

import contextlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.catalog.choices import FieldType, Role

from .staged_checks import ChecksMixin
from .staged_reading import StagingMixin
from .staged_sql import DATE_TYPES, Plan
from .staged_store import StoreMixin
from .table import SheetRow

logger = logging.getLogger(__name__)


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


class StagedImport(StagingMixin, ChecksMixin, StoreMixin):
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
        self.reader_process = None  # the .xlsx reader process of the run, once it has ended (its peak RSS)

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
        cursor.execute("CREATE TEMP TABLE staged_done (n integer PRIMARY KEY)")  # rows stored here (or duplicates)
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
        segments = self._segments(table, size)
        # closing(): an error while storing ends the reading thread and the reader process here, not
        # whenever the exception's traceback lets the generator go.
        with contextlib.closing(segments):
            for segment, rows in enumerate(segments):
                self._run_segment(segment, rows, on_chunk)
        self._seed_seen_numbers()
        reader = self.reader_process
        logger.info(
            "staged import: %s stored, %s duplicates; %s%s",
            self.result.accepted,
            self.result.duplicates,
            ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items()),
            f"; reader process peak RSS {reader.peak_rss_mb:.0f} MB" if reader and reader.peak_rss_mb else "",
        )
        return self.leftover_rows()

    def _run_segment(self, segment: int, rows, on_chunk) -> None:
        with self._step("stage"):
            if not self._copy(rows):
                return
        for name, step in (
            ("lookups", self.lookups),
            ("select", self.select_passing),
            ("policies", self.policies),
            ("build", lambda: self.build(segment)),
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

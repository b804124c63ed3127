"""The staged import, step 1: the Python side of staging — each row read, its cells cleaned, its USCC and ID
numbers checked (hash, cipher text and masked form made here: the keys never reach SQL), and the segment
``COPY``ed into ``staged_rows``. Rows the pipeline must see as read are held in memory and marked slow.

A mixin of ``staged.StagedImport`` (which sets the attributes used here in its ``__init__``).
"""

import contextlib
import datetime
import queue
import threading

from django.db import connection
from psycopg import sql

from apps.catalog.normalise import clean_text
from apps.catalog.spec import ID_CARD, uscc_verdict
from apps.subjects.codes import check_id_number, mask_id_number
from apps.subjects.masking import personal_numbers
from apps.subjects.pii import encrypt, id_number_hash

from . import xlsx_process

# A row's cells are joined with a printable separator so that one C-level test per row tells whether
# any cell needs clean_text at all (most rows of a real file need none): the join must be printable
# and hold no double space and no space beside the separator. A separator inside a cell only costs
# that row the per-cell path.
_JOIN = "\u2400"  # SYMBOL FOR NULL


class StagingMixin:
    """Reading and staging a table's rows, segment by segment."""

    def _cells(self, table, raw, cells, typed: bool = True) -> tuple[list | None, object | None]:
        """The row's cells as staged text (clean_text applied), and the row as the pipeline takes it when
        the pipeline must see it as read (reader problems, merged cells, numbers in date cells…).

        ``typed`` False: every cell is a non-empty str or None (a CSV's), so the per-cell look at the
        types (~0.4 s per 100k rows) is skipped. ``(None, None)`` for a blank row, which ``Table.records``
        skips too.
        """
        held = None
        if raw.problems or raw.merged:
            held = table.sheet_row(raw)
            if held is None:
                return None, None
        for i, v in enumerate(cells) if typed else ():
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
        if typed:
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

    def _prepared(self, table, rows=None):
        """The table's rows as staged rows (the Python side of staging: clean, check codes, encrypt).

        ``rows``: the sheet's rows as the reader process sends them (``Table.cells``)."""
        blank_codes = [None] * (1 + 2 * len(self.id_cols))
        typed = table.source.kind != "csv"  # a CSV cell is a non-empty str or None (CsvSource.rows)
        for raw, cells in table.cells(self.fields, rows):
            cells, held = self._cells(table, raw, cells, typed)
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
        The thread runs at most one segment ahead, so memory stays bounded.

        A large sheet (``IMPORT_XLSX_PROCESS_MIN_MB``) is parsed in a child process (``xlsx_process.py``):
        the thread then only stages the rows it sends, so parsing, staging and storing run side by side
        instead of parsing and staging taking turns on the GIL."""
        batch_rows = 1000
        pending: queue.Queue = queue.Queue(maxsize=max(size // batch_rows, 2))
        stop = threading.Event()
        finished = False
        process = xlsx_process.ReaderProcess(table.source) if xlsx_process.wanted(table.source) else None

        def read():
            batch = []
            try:
                for row in self._prepared(table, process.rows() if process else None):
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

        with process or contextlib.nullcontext():
            reader = threading.Thread(target=read, name="staged-import-reader", daemon=True)
            reader.start()
            try:
                while not finished:
                    yield segment()
            finally:
                stop.set()
                if process and reader.is_alive():
                    process.stop()  # stopped early: the thread, waiting for rows, sees the pipe end
                while reader.is_alive():  # let a blocked put() finish so the thread can end
                    with contextlib.suppress(queue.Empty):
                        pending.get(timeout=0.1)
                reader.join()
            # (Leaving the ``with`` ends and reaps the child in every case.)
        if process:
            self.reader_process = process

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
        number = self.col[self.ingest.f_number]
        cursor.execute(
            f"INSERT INTO staged_numbers SELECT {number}, min(n) FROM staged_rows"  # noqa: S608
            f" WHERE {number} IS NOT NULL GROUP BY {number} ON CONFLICT (number) DO NOTHING"
        )
        return count

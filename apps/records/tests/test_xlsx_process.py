"""The .xlsx reader in a child process (apps/records/intake/xlsx_process.py) imports exactly as the reader
in a thread does, keeps every guard and read error as they were, and leaves no process behind.

The two ways are chosen by ``IMPORT_XLSX_PROCESS_MIN_MB``: 0 sends every workbook to the child, a large
value keeps every one in the thread. Each import runs in a savepoint rolled back after its snapshot, so the
other way starts from the same state.
"""

import io
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.db import connection, transaction

from apps.catalog.spec import TypeSpec
from apps.records.choices import Source
from apps.records.intake import xlsx_process
from apps.records.intake.guards import SpreadsheetRefused, UploadError
from apps.records.intake.importing import import_table
from apps.records.intake.rows import DAMAGED
from apps.records.intake.table import open_table
from apps.records.intake.xlsx_source import column_letters
from apps.records.models import Record

from . import bombs
from .factories import penalty_row
from .test_staged_import import _on_file, _snapshot, hostile_rows
from .upload_support import FROZEN, as_cells, labels, penalty_cells, raw_xlsx, xlsx_bytes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the staged path is PostgreSQL only"),
]
INLINE, CHILD = "thread", "process"
ROOT = Path(__file__).resolve().parents[3]


def _children() -> list[tuple[int, str, str]]:
    """This process's child processes (pid, state, command line)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == os.getpid():
            found.append((int(entry), state, cmdline))
    return found


@pytest.fixture
def no_process_left():
    """Every test here: no reader process (running or a zombie) outlives its import."""
    before = _children()
    yield
    assert _children() == before


def _import(settings, way, data, dept, *, name="a.xlsx", on_progress=None):
    settings.IMPORT_XLSX_PROCESS_MIN_MB = 0 if way == CHILD else 10_000
    table = open_table(io.BytesIO(data), name, TypeSpec.load("penalty"))
    table.check()
    return import_table(table, department=dept, source=Source.UPLOAD, actor_label="张三", on_progress=on_progress)[0]


def _each_way(settings, dept, data, *, on_file=True):
    """(counts, rejected rows, snapshot, error type and message) for the thread, then the child process."""
    results = {}
    for way in (INLINE, CHILD):
        with transaction.atomic():
            with time_machine.travel(FROZEN, tick=False):
                if on_file:
                    _on_file(dept)
                error = None
                try:
                    progress = _import(settings, way, data, dept)
                    outcome = (progress.as_dict(), progress.rejected_rows)
                except (UploadError, *DAMAGED) as exc:
                    error = (type(exc), str(exc), getattr(exc, "messages", None))
                    outcome = None
            results[way] = (outcome, error, _snapshot(dept))
            transaction.set_rollback(True)
    return results


def _took_the_child(caplog) -> bool:
    return "reader process peak RSS" in caplog.text


@pytest.mark.parametrize("segment", [10_000, 7], ids=["one-segment", "segments-of-7"])
def test_the_child_process_stores_exactly_what_the_thread_stores(
    settings, dept_a, dept_b, segment, caplog, no_process_left
):
    settings.IMPORT_STAGED_CHUNK_ROWS = segment
    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    rows = [as_cells(row) for row in hostile_rows(dept_a, dept_b)]
    results = _each_way(settings, dept_a, xlsx_bytes([labels(), *rows]))
    assert _took_the_child(caplog)
    (counts, rejected), error, snapshot = results[INLINE]
    assert error is None and counts["rejected"] > 20 and counts["accepted"] > 60
    assert results[CHILD] == results[INLINE]


def test_typed_cells_merged_cells_and_reader_problems_read_alike(settings, dept_a, caplog, no_process_left):
    """Serial dates, floats, booleans, long numbers; a merged range; formulas without values and error cells."""
    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    width = len(labels())
    typed = [
        as_cells(penalty_row(dept_a, 1, CF_JDRQ=45562, CF_NR_FK=0.5)),
        as_cells(penalty_row(dept_a, 2, CF_JDRQ=45562.75, CF_NR_FK=12.0)),
        as_cells(penalty_row(dept_a, 3, CF_JDRQ=True)),
        as_cells(penalty_row(dept_a, 4, CF_XDR_ZZJG=12345678901234567)),
        as_cells(penalty_row(dept_a, 5, CF_SY={"f": "A1&B1"})),  # a formula without a cached value
        as_cells(penalty_row(dept_a, 6, CF_NR_FK={"f": "1/0", "v": "#DIV/0!", "t": "e"})),
        as_cells(penalty_row(dept_a, 7, CF_WFXW={"f": '"违法"&"行为"', "v": "违法行为", "t": "str"})),
        as_cells(penalty_row(dept_a, 8)),
        [None] * width,  # covered by the merge below (its top-left cell is row 8's)
        *[as_cells(penalty_row(dept_a, n)) for n in range(10, 30)],
    ]
    merged = f"{column_letters(0)}9:{column_letters(width - 1)}10"
    data = raw_xlsx([labels(), *typed], merges=[merged])
    results = _each_way(settings, dept_a, data, on_file=False)
    assert _took_the_child(caplog)
    (counts, rejected), error, _ = results[INLINE]
    assert error is None and counts["rejected"] >= 4 and counts["accepted"] >= 20
    assert results[CHILD] == results[INLINE]


def test_a_damaged_file_keeps_the_same_rows_and_says_the_same(settings, dept_a, caplog, no_process_left):
    """The sheet's XML stops in the middle of row 1102: the rows before it are stored either way."""
    settings.IMPORT_STAGED_CHUNK_ROWS = 250
    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    rows = [labels()] + [penalty_cells(dept_a, n) for n in range(1, 1201)]
    results = _each_way(settings, dept_a, raw_xlsx(rows, cut_in_row=1102), on_file=False)
    assert _took_the_child(caplog)
    outcome, error, snapshot = results[INLINE]
    assert outcome is None and error[0] in DAMAGED and len(snapshot["records"]) == 1100
    assert results[CHILD] == results[INLINE]


def test_a_refused_cell_mid_file_keeps_the_rows_before_it_and_names_the_cell(settings, dept_a, caplog, no_process_left):
    settings.SPREADSHEET_MAX_CELL_CHARS = 300
    settings.IMPORT_STAGED_CHUNK_ROWS = 20
    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    rows = [labels()] + [penalty_cells(dept_a, n) for n in range(1, 61)]
    rows[51][1] = "长" * 301  # row 52 of the sheet, column B
    results = _each_way(settings, dept_a, raw_xlsx(rows), on_file=False)
    assert _took_the_child(caplog)
    outcome, error, snapshot = results[INLINE]
    assert outcome is None and error[0] is SpreadsheetRefused
    assert len(error[2]) == 1 and error[2][0].startswith("第52行B列：单元格内容有 301 个字符，超过上限 300 个字符")
    assert len(snapshot["records"]) == 50
    assert results[CHILD] == results[INLINE]


def _late_cell_bomb(path, dept, inflated: int) -> None:
    """A penalty sheet of 30 good rows, then a cell of ``inflated`` bytes: past the header search, so only
    the reader of the rows (the child, when it takes them) meets it."""
    sheet = bombs.Member("xl/worksheets/sheet1.xml").add(
        f'<worksheet xmlns="{bombs.NS}"><sheetData>{bombs._header_row()}'.encode()
    )
    for n in range(1, 31):
        r = n + 1
        cells = "".join(
            bombs._inline(f"{column_letters(c)}{r}", str(v))
            for c, v in enumerate(penalty_cells(dept, n))
            if v is not None
        )
        sheet.add(f'<row r="{r}">{cells}</row>'.encode())
    sheet.add(b'<row r="32"><c r="A32" t="inlineStr"><is><t>')
    sheet.add(b"A" * bombs.MB, times=inflated // bombs.MB).add(b"</t></is></c></row></sheetData></worksheet>").finish()
    bombs.write_zip(path, bombs._package(bombs._workbook(), sheet, None))


def test_a_bomb_past_the_directory_check_is_stopped_in_the_child(settings, dept_a, tmp_path, caplog, no_process_left):
    """With the directory limits lifted (as if the bomb passed them), the inflate-time cap on a cell still
    stops the child a few hundred KB into a 256 MB cell: same refusal, same rows kept, little memory."""
    settings.SPREADSHEET_MAX_MEMBER_MB = 4096
    settings.SPREADSHEET_MAX_RATIO = 1_000_000
    caplog.set_level(logging.INFO, logger="apps.records.intake.staged")
    path = tmp_path / "bomb.xlsx"
    _late_cell_bomb(path, dept_a, 256 * bombs.MB)
    results = _each_way(settings, dept_a, path.read_bytes(), on_file=False)
    outcome, error, snapshot = results[INLINE]
    assert outcome is None and error[0] is SpreadsheetRefused
    assert "超过单元格长度上限 32,767 个字符，已停止读取" in error[1]
    # The reader's prescan (merged ranges, before the first row) meets the bomb: nothing stored either way.
    assert snapshot["records"] == {}
    assert results[CHILD] == results[INLINE]
    peak = float(caplog.text.split("reader process peak RSS ")[1].split(" MB")[0])
    assert peak < 150  # the cell was not gathered (it is 256 MB; the child's interpreter alone is ~30 MB)


def test_the_child_reads_what_the_source_reads_without_django(settings, dept_a, tmp_path, no_process_left):
    """Row for row the same RawRows as the source's own reader; the child never loaded Django's settings;
    a file on disk is read in place, a file in memory through a temporary copy that is removed after."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    rows = [labels()] + [penalty_cells(dept_a, n) for n in range(1, 1500)]
    data = xlsx_bytes(rows, merges=["A5:C6"])
    path = tmp_path / "on-disk.xlsx"
    path.write_bytes(data)
    for handle in (io.BytesIO(data), path.open("rb")):
        source = open_table(handle, "a.xlsx", TypeSpec.load("penalty")).source
        expected = [(r.number, r.values, r.problems, r.merged) for r in source.rows()]
        with xlsx_process.ReaderProcess(source, batch_rows=100) as reader:
            spooled = reader.spooled
            read = [(r.number, r.values, r.problems, r.merged) for r in reader.rows()]
        assert read == expected and len(read) == 1500 and read[4][3] == {1: "A5:C6", 2: "A5:C6"}
        assert reader.settings_loaded is False and reader.peak_rss_mb > 0
        assert (spooled is not None) == isinstance(handle, io.BytesIO)
        assert not list(tmp_path.glob("xlsx-import-*"))


def test_the_threshold_keeps_small_sheets_in_the_thread(settings, dept_a, no_process_left):
    data = xlsx_bytes([labels()] + [penalty_cells(dept_a, n) for n in range(1, 21)])
    settings.IMPORT_XLSX_PROCESS_MIN_MB = 1
    table = open_table(io.BytesIO(data), "a.xlsx", TypeSpec.load("penalty"))
    assert not xlsx_process.wanted(table.source)
    settings.IMPORT_XLSX_PROCESS_MIN_MB = 0
    assert xlsx_process.wanted(table.source)


def test_an_import_stopped_while_storing_ends_the_child(settings, dept_a, no_process_left):
    """The import fails after its first segment (here: its progress callback) while the child has more to
    send: the child is ended and reaped before the error leaves the import."""
    settings.IMPORT_STAGED_CHUNK_ROWS = 100  # a segment is still one batch of the reading thread: 1,000 rows
    data = xlsx_bytes([labels()] + [penalty_cells(dept_a, n) for n in range(1, 6001)])

    def stop(progress):
        assert _children(), "the child should still be reading"
        raise RuntimeError("stopped")

    with time_machine.travel(FROZEN, tick=False), pytest.raises(RuntimeError, match="stopped"):
        _import(settings, CHILD, data, dept_a, on_progress=stop)
    assert _children() == []
    assert Record.objects.filter(department=dept_a).count() == 1000


_ORPHAN_SCRIPT = """
import sys, time
from apps.records.intake.guards import Limits
from apps.records.intake.xlsx_process import ReaderProcess
from apps.records.intake.xlsx_source import XlsxSource

limits = Limits(members=1000, member_bytes=500 << 20, shared_strings_bytes=200 << 20, ratio=100, cell_chars=32767)
reader = ReaderProcess(XlsxSource(open(sys.argv[1], "rb"), limits), batch_rows=10)
reader.start()
print(reader.pid, flush=True)
time.sleep(600)  # never reads: the child fills the pipe and waits
"""


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_the_child_ends_when_the_importing_process_is_killed(dept_a, tmp_path):
    """SIGKILL leaves no ``finally``: the child's next send finds the pipe closed and it ends by itself."""
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx_bytes([labels()] + [penalty_cells(dept_a, n) for n in range(1, 2001)]))
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(parent.stdout.readline())
        assert _state(child) not in (None, "Z")  # started, and waiting on the full pipe
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 60
    while _state(child) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.1)
    # Gone (or a zombie waiting for init to reap it: it no longer runs, holds no memory, no file).
    assert _state(child) in (None, "Z")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as the worker runs: no test transaction to abort
def test_a_child_killed_mid_import_fails_the_import_and_keeps_what_was_stored(settings, dept_a, no_process_left):
    """Killed from outside (out of memory, an administrator): not a read error of the file — the import
    fails as an internal error, the segments stored before it stay, and the dead child is reaped."""
    settings.IMPORT_STAGED_CHUNK_ROWS = 100
    data = xlsx_bytes([labels()] + [penalty_cells(dept_a, n) for n in range(1, 6001)])

    def kill_the_child(progress):
        for pid, _state, _command in _children():
            os.kill(pid, signal.SIGKILL)

    with time_machine.travel(FROZEN, tick=False), pytest.raises(xlsx_process.ReaderProcessDied):
        _import(settings, CHILD, data, dept_a, on_progress=kill_the_child)
    assert 1000 <= Record.objects.filter(department=dept_a).count() < 6000

"""The .xlsx reader in a child process, so that parsing a large workbook runs on another core.

Why: the import's Python work is the reader (expat, ~7,000–15,000 rows/s) and the staging of each row
(cleaning, USCC/ID checks, encryption). Both hold the GIL, so with the reader in a thread the two take
turns on one core and only PostgreSQL's work overlaps with them. In a child process the reader has a core
of its own; the import stages and stores what it sends.

What the child gets: the file's path, the sheet chosen by the header search, the parent's ``Limits`` and
the sheet's prescan if the parent has made it. It imports the reader modules only — Django's settings are
never loaded there and it opens no database connection — and reads through ``XlsxSource`` exactly as the
parent would: every zip-bomb guard, the shared-strings budget and spill, the cell and row limits run there
unchanged. A read error raised there (``UploadError`` and its kin, a damaged package) is sent back after
the rows read before it and raised again in the parent as the same type with the same Chinese message.

The process is a fresh interpreter (``python -c``, started by ``subprocess``), never a fork of a Celery or
gunicorn worker holding database connections and threads. Not ``multiprocessing``: it refuses children to a
daemonic process, and every Celery prefork pool process is one, so the uploads the bulk queue imports would
never have used it (tests/test_worker_xlsx_process.py runs a real prefork worker). Start cost measured on the
2-core machine: ~0.1 s warm, ~0.25 s cold, against ~0.1–0.15 s to read 1 MB of sheet XML (~1,800 rows) —
hence ``IMPORT_XLSX_PROCESS_MIN_MB``. Its arguments go pickled to its stdin; its messages come pickled from
its stdout (anything else it prints goes to stderr).

The channel is the child's stdout, carrying batches of ``BATCH_ROWS`` rows: a full pipe blocks the child's
next send, so it runs at most a batch or two ahead of whoever reads (the staged import's reading thread,
itself at most one segment ahead of storing): memory stays bounded whatever the file's size.

The child ends with the import: at the end of the rows; on an error (sent, then it exits); when the
import stops early (``close()`` terminates, then kills, and always reaps it); when the parent process
dies (its next send fails on the closed pipe).
"""

import contextlib
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator

from django.conf import settings

from .guards import Limits
from .rows import CHUNK, RawRow
from .xlsx_source import XlsxSource

logger = logging.getLogger(__name__)

BATCH_ROWS = 1000
# The child's whole program: the reader modules only, no Django setup.
_CHILD = "from apps.records.intake.xlsx_process import child_main; child_main()"
_MB = 1024 * 1024
# How long a terminated child may take to end before it is killed.
_TERMINATE_WAIT_SECONDS = 5


class ReaderProcessDied(RuntimeError):
    """The reader process ended without sending its last message (killed, out of memory). Not a read
    error of the file: the import fails as an internal error, and the rows stored before it are kept."""


def wanted(source) -> bool:
    """Whether ``source``'s current sheet is large enough to be read in a child process."""
    return source.kind == "xlsx" and source.sheet_bytes() >= settings.IMPORT_XLSX_PROCESS_MIN_MB * _MB


def _path_of(fileobj) -> str | None:
    """The path of the file ``fileobj`` reads, if it is a file on this machine (checked by its inode)."""
    try:
        opened = os.fstat(fileobj.fileno())
    except (AttributeError, OSError, ValueError):
        return None  # in memory (BytesIO), or a storage without local files
    for candidate in (getattr(fileobj, "name", None), getattr(getattr(fileobj, "file", None), "name", None)):
        if isinstance(candidate, str) and candidate:
            with contextlib.suppress(OSError):
                if os.path.samestat(os.stat(candidate), opened):
                    return os.path.abspath(candidate)
    return None


def _spool(fileobj, folder: str | None) -> str:
    """A temporary copy of ``fileobj`` the child can open (removed by ``ReaderProcess.close``). Bounded by
    the file itself: an upload is within its size limit; ``import_records`` always has a path."""
    position = fileobj.tell()
    fileobj.seek(0)
    handle = tempfile.NamedTemporaryFile(prefix="xlsx-import-", suffix=".xlsx", dir=folder, delete=False)  # noqa: SIM115
    try:
        with handle:
            shutil.copyfileobj(fileobj, handle, CHUNK)
    except BaseException:
        os.unlink(handle.name)
        raise
    finally:
        fileobj.seek(position)
    return handle.name


class ReaderProcess:
    """``source``'s current sheet read in a child process; ``rows()`` yields its ``RawRow``s as
    ``source.rows()`` would. A context manager: leaving it ends the child whatever happened."""

    def __init__(self, source, *, batch_rows: int = BATCH_ROWS):
        self.source = source
        self.batch_rows = batch_rows
        self.process = None
        self.spooled: str | None = None
        # Reported by the child at its end: its own peak RSS (so memory is not hidden by the split), and
        # whether Django's settings were ever loaded there (they must not be).
        self.peak_rss_mb: float | None = None
        self.settings_loaded: bool | None = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        source = self.source
        path = _path_of(source.fileobj)
        if path is None:
            path = self.spooled = _spool(source.fileobj, source.limits.spill_dir)
        # The same interpreter finds its own packages; the project is added for ``apps`` (a checkout run in place).
        inherited = os.environ.get("PYTHONPATH")
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(settings.BASE_DIR), inherited]))}
        try:
            self.process = subprocess.Popen(  # noqa: S603 — this interpreter, a constant program
                [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment
            )
            with self.process.stdin as arguments:
                pickle.dump(
                    (path, source.sheet.path, source.limits, source.prescanned(), self.batch_rows),
                    arguments,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
        except BaseException:
            self.close()
            raise
        logger.info("xlsx reader process %s started (%s)", self.process.pid, source.sheet.path)

    def rows(self) -> Iterator[RawRow]:
        while True:
            try:
                kind, payload = pickle.load(self.process.stdout)  # noqa: S301 — our own child's bytes
            except (EOFError, pickle.UnpicklingError):  # ended, or killed in the middle of a message
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(_TERMINATE_WAIT_SECONDS)
                raise ReaderProcessDied(
                    f"the .xlsx reader process ended without finishing (exit code {self.process.returncode})"
                ) from None
            if kind == "rows":
                for number, values, problems, merged in payload:
                    yield RawRow(number, values, problems, merged)
                continue
            self.peak_rss_mb, self.settings_loaded = payload["peak_rss_mb"], payload["settings_loaded"]
            if kind == "error":
                raise payload["error"]
            return

    def stop(self) -> None:
        """End the child now if it still runs (the import stopped early). A reading thread blocked in
        ``rows()`` then sees the end of the pipe."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def close(self) -> None:
        """End and reap the child, close the pipe, remove the spooled copy. Safe to call twice."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(_TERMINATE_WAIT_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            process.stdout.close()
            logger.info(
                "xlsx reader process %s ended (exit code %s, peak RSS %s MB)",
                process.pid,
                process.returncode,
                self.peak_rss_mb,
            )
        spooled, self.spooled = self.spooled, None
        if spooled:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(spooled)


# --- in the child ---------------------------------------------------------------------------------------


def _peak_rss_mb() -> float | None:
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def _portable(exc: Exception) -> Exception:
    """``exc`` as it can cross to the parent: itself (same type, same message) when it pickles, else a
    RuntimeError naming it. The child's traceback goes with it as a note (shown in the parent's log, not
    in the message)."""
    exc.add_note("in the .xlsx reader process:\n" + "".join(traceback.format_exception(exc)))
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 — our own bytes, made on the line itself
    except Exception:  # noqa: BLE001 — whatever does not survive the trip is sent as text
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class _Sender:
    """The child's end of the channel: one pickled message at a time, flushed, on what was its stdout."""

    def __init__(self, stream):
        self.stream = stream

    def send(self, message) -> None:
        pickle.dump(message, self.stream, protocol=pickle.HIGHEST_PROTOCOL)
        self.stream.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()


def child_main() -> None:
    """The reader process's program: its arguments from stdin, its messages to stdout. Whatever else would
    print there (a warning, a stray ``print``) goes to stderr, so it can never corrupt the channel."""
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    arguments = pickle.load(sys.stdin.buffer)  # noqa: S301 — written by the importing process that started us
    _read(_Sender(channel), *arguments)


def _read(connection, path: str, sheet_path: str, limits: Limits, prescanned, batch_rows: int) -> None:
    """The child's whole work: read the sheet, send its rows in batches, then how it ended."""
    batch: list = []
    try:
        with open(path, "rb") as handle:
            source = XlsxSource(handle, limits)
            try:
                source.select_path(sheet_path, prescanned)
                for row in source.rows():
                    batch.append((row.number, row.values, row.problems, row.merged))
                    if len(batch) >= batch_rows:
                        connection.send(("rows", batch))
                        batch = []
            finally:
                source.close()
        end = ("end", {})
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent is gone or stopped reading: nothing to say to anyone
    except Exception as exc:  # noqa: BLE001 — sent to the parent, which raises it at the same row
        end = ("error", {"error": _portable(exc)})
    kind, payload = end
    payload["peak_rss_mb"] = _peak_rss_mb()
    payload["settings_loaded"] = settings.configured
    with contextlib.suppress(OSError):
        if batch:
            connection.send(("rows", batch))
        connection.send((kind, payload))
    connection.close()

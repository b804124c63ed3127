"""Reading spreadsheets: the one guarded reader of every .xlsx / .csv the platform takes in.

Reading is streamed so memory stays flat however long the file is: ``xlsx_source.py`` reads an .xlsx
row by row from the zip (through the zip-bomb guards of ``guards.py``, the shared strings within their
memory budget), ``csv_source.py`` a .csv in any of the encodings Excel and WPS write; ``rows.py`` holds
what both share.

Record uploads read through ``table.py`` on top of this; the other apps' spreadsheet inputs
(commitments import, batch credit check, grade import) take ``read_sheet``: the same guards, the same
cell typing, .xlsx and .csv alike.
"""

from collections.abc import Iterator

from .csv_source import CsvSource
from .guards import (
    UploadError,
)
from .rows import DAMAGED, DAMAGED_MESSAGE, UPLOADS, RawRow, SheetLimits, check_name_and_size, extension_of
from .xlsx_source import XlsxSource


def open_source(fileobj, name: str) -> "XlsxSource | CsvSource":
    """``name``'s reader (by its extension; the content is checked against it). Raises UploadError."""
    try:
        return XlsxSource(fileobj) if extension_of(name) == ".xlsx" else CsvSource(fileobj)
    except DAMAGED as exc:
        raise UploadError(DAMAGED_MESSAGE) from exc


def read_sheet(fileobj, name: str, limits: SheetLimits = UPLOADS, *, size: int | None = None) -> Iterator[RawRow]:
    """The rows of a .csv, or of the first visible sheet of an .xlsx: every spreadsheet input but the
    record uploads (which pick among sheets by their header, ``table.py``) reads through this.

    Checked before anything is returned: the name and ``size`` against ``limits``, the content against
    the extension, the zip directory against the zip-bomb limits. Then rows stream, numbered as in the
    file (an .xlsx skips rows it does not store; blank rows of a .csv come as empty lists); values as the
    reader types them — None for empty, text as ``str``, numbers as ``int``/``float`` (an .xlsx date is
    its serial day number), ``TRUE``/``FALSE``; a .csv gives text only. Raises UploadError
    (``SpreadsheetRefused`` for a limit) — here or while iterating.
    """
    check_name_and_size(name, size, limits)
    return _rows(open_source(fileobj, name), limits.max_rows)


def _rows(source, max_rows: int | None) -> Iterator[RawRow]:
    try:
        for row in source.rows(with_merges=False):
            if max_rows is not None and row.number > max_rows:
                raise UploadError(f"文件超过 {max_rows:,} 行，请拆分后分批上传。")
            yield row
    except DAMAGED as exc:
        raise UploadError(DAMAGED_MESSAGE) from exc
    finally:
        source.close()

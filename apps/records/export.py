"""Records in the national template columns, for the provincial platform: ``.xlsx`` and ``.csv``.

Columns are the record type's catalog fields in catalog order, headed by their
labels (the national template's header row). Both writers stream: the CSV as
an iterator of lines, the workbook through openpyxl's write-only mode into a
temporary file, so memory stays flat whatever the number of records.

Formula injection: a text cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab / carriage return, which some spreadsheet programs skip before those)
gets a single quote in front, the usual neutralisation: Excel and WPS then
show it as text. The same rule applies to both formats so the two files carry
the same values. Amounts (万元, never negative on this platform) are numbers in
the workbook and plain decimal text in the CSV.

ID numbers are exported masked, exactly as stored in ``data``; the encrypted
full numbers are never read here. The file is published by the provincial
platform, so ID and mobile numbers typed into names, document numbers and free
text are masked too (``mask_personal_numbers``), as on the portal.
"""

import csv
import tempfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from apps.catalog.choices import FieldType
from apps.subjects.codes import mask_id_number
from apps.subjects.masking import mask_personal_numbers

from .selectors import MULTI_JOIN

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISING_PREFIX = "'"
CSV_BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000


def neutralise(text):
    """Keep a spreadsheet from reading a text cell as a formula (non-text values pass through)."""
    if isinstance(text, str) and text and text[0] in FORMULA_TRIGGERS:
        return NEUTRALISING_PREFIX + text
    return text


def cell_text(spec, value) -> str:
    """A stored value as template text: lists joined, ID (and in free text mobile) numbers masked, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, list):
        text = MULTI_JOIN.join(str(v) for v in value)
    else:
        text = str(value)
    if spec.field_type == FieldType.ID_NUMBER and text and "*" not in text:
        text = mask_id_number(text.upper())  # stored masked already; never let a full number out
    else:
        text = mask_personal_numbers(text)
    return neutralise(text)


def header_row(specs) -> list[str]:
    return [spec.label for spec in specs]


def _data_rows(records) -> Iterator[dict]:
    """Only the ``data`` column, fetched in chunks (server-side cursor on PostgreSQL)."""
    return records.values_list("data", flat=True).iterator(chunk_size=CHUNK)


def text_rows(records, specs) -> Iterator[list[str]]:
    for data in _data_rows(records):
        yield [cell_text(spec, data.get(spec.code)) for spec in specs]


class _Echo:
    def write(self, value):
        return value


def csv_lines(records, specs) -> Iterator[str]:
    """UTF-8 CSV lines, the first carrying the BOM so Excel reads the Chinese correctly."""
    writer = csv.writer(_Echo())
    yield CSV_BOM + writer.writerow(header_row(specs))
    for row in text_rows(records, specs):
        yield writer.writerow(row)


def _xlsx_value(spec, value):
    if spec.field_type == FieldType.DECIMAL and value not in (None, ""):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            pass
    return ILLEGAL_CHARACTERS_RE.sub("", cell_text(spec, value))


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, "")
    return title[:31] or "Sheet1"


def write_xlsx(records, specs, *, title: str) -> tempfile.SpooledTemporaryFile:
    """The workbook in a temporary file, rewound; the caller streams and closes it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    for position, spec in enumerate(specs, start=1):
        width = 14 if spec.field_type in (FieldType.DATE, FieldType.OPEN_DATE, FieldType.DECIMAL) else 22
        sheet.column_dimensions[get_column_letter(position)].width = max(width, min(len(spec.label) * 2 + 2, 40))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    header = []
    for label in header_row(specs):
        cell = WriteOnlyCell(sheet, value=label)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    sheet.append(header)
    for data in _data_rows(records):
        sheet.append([_xlsx_value(spec, data.get(spec.code)) for spec in specs])
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(target)
    target.seek(0)
    return target

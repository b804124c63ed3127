"""Building spreadsheets (and stored uploads) for the upload tests (no tests here).

``xlsx_bytes`` writes a normal workbook with openpyxl (shared strings, as Excel
does); ``raw_xlsx`` writes the package by hand, for what openpyxl cannot write:
formulas with cached values, error values, inline strings.
"""

import csv
import datetime
import hashlib
import io
import zipfile
from xml.sax.saxutils import escape

from django.core.files.base import ContentFile
from openpyxl import Workbook

from apps.catalog.models import RecordType
from apps.catalog.spec import TypeSpec
from apps.records.intake.xlsx_source import column_letters
from apps.records.models import Upload

from .factories import penalty_row

TODAY = datetime.date(2024, 10, 10)
FROZEN = datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC)


def labels(type_code="penalty"):
    return [f.label for f in TypeSpec.load(type_code).fields]


def codes(type_code="penalty"):
    return [f.code for f in TypeSpec.load(type_code).fields]


def as_cells(row: dict, type_code="penalty") -> list:
    """A row keyed by field code, as cells in the catalog's column order."""
    return [row.get(code) for code in codes(type_code)]


def penalty_cells(dept, n=1, **overrides):
    return as_cells(penalty_row(dept, n, **overrides))


def xlsx_bytes(rows, *, title="行政处罚", merges=(), before=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in [*before, *rows]:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, *, encoding="utf-8", delimiter=",") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return text.getvalue().encode(encoding)


def _cell_xml(ref, value):
    if value is None:
        return ""
    if isinstance(value, dict):  # {"f": formula, "v": cached value or absent, "t": type}
        kind = f' t="{value["t"]}"' if value.get("t") else ""
        formula = f"<f>{escape(value['f'])}</f>" if "f" in value else ""
        cached = f"<v>{escape(str(value['v']))}</v>" if "v" in value else ""
        return f'<c r="{ref}"{kind}>{formula}{cached}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def raw_xlsx(rows, *, merges=(), cut_in_row: int | None = None) -> bytes:
    """A minimal .xlsx written by hand; ``cut_in_row`` ends the sheet XML halfway through that row (a damaged file)."""
    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell_xml(f"{column_letters(c)}{r}", v) for c, v in enumerate(row))
        body.append(f'<row r="{r}">{cells}</row>')
        if r == cut_in_row:
            body[-1] = body[-1][: len(body[-1]) // 2]
            break
    merge_xml = ""
    if merges:
        merge_xml = f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
        merge_xml += "</mergeCells>"
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(body)}</sheetData>{merge_xml}</worksheet>"
    )
    if cut_in_row is not None:
        sheet = sheet[: sheet.index("</sheetData>")]
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in files.items():
            package.writestr(name, content)
    return out.getvalue()


def stored_upload(
    dept, user, data: bytes, name: str, *, original_name: str | None = None, type_code="penalty"
) -> Upload:
    """An upload as the upload form leaves it for the worker: the file stored, the row queued."""
    return Upload.objects.create(
        department=dept,
        record_type=RecordType.objects.get(code=type_code),
        original_name=original_name or name,
        sha256=hashlib.sha256(data).hexdigest(),
        created_by=user,
        file=ContentFile(data, name=name),
    )

"""Bulk commitment import from a spreadsheet: the template, and reading an uploaded .xlsx / .csv into rows.

Reading is the platform's one spreadsheet reader (``read_sheet``: .xlsx with its zip-bomb guards or .csv,
content checked against the extension, streamed). The rows go to ``commitments_import``, which
checks every row and writes nothing unless all are good.
"""

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from apps.catalog.normalise import clean_text, header_key
from apps.records.intake.guards import UploadError
from apps.records.intake.reader import read_sheet
from apps.records.intake.rows import UPLOADS
from apps.records.intake.table import HEADER_SCAN_ROWS

from .choices import CommitmentType

HEADERS = ("统一社会信用代码", "承诺类型", "承诺事项", "承诺日期")
IGNORED = {header_key(h) for h in ("序号", "备注")}
ROW_NUMBER = "_row"


def template_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "信用承诺导入"
    for index, label in enumerate(HEADERS, start=1):
        cell = ws.cell(row=1, column=index, value=label)
        cell.font = Font(bold=True, color="C00000")
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
        ws.column_dimensions[cell.column_letter].width = 24 if index != 3 else 40
    ws.column_dimensions["A"].number_format = "@"
    ws.column_dimensions["D"].number_format = "yyyy-mm-dd"
    types = DataValidation(type="list", formula1='"' + ",".join(CommitmentType.labels) + '"', allow_blank=False)
    types.add("B2:B10000")
    ws.add_data_validation(types)
    notes = wb.create_sheet("填写说明")
    for row in (
        ("统一社会信用代码", "18位，主体须已在平台登记；请把该列设为“文本”格式"),
        ("承诺类型", "七类之一：" + "、".join(CommitmentType.labels)),
        ("承诺事项", "须与平台中启用的承诺书模板事项一致"),
        ("承诺日期", "如 2024-09-27，不能晚于今天"),
    ):
        notes.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_rows(fileobj, name: str, size: int | None) -> list[dict]:
    """The data rows keyed by header (plus ``_row``, the sheet row number). Raises UploadError."""
    raw = read_sheet(fileobj, name, UPLOADS, size=size)
    header = None
    for row in raw:
        texts = [clean_text(v) for v in row.values]
        if any(texts):
            header = (row.number, texts)
            break
        if row.number >= HEADER_SCAN_ROWS:
            break
    if header is None:
        raise UploadError("文件中没有内容：请下载导入模板，按模板表头填写后上传。")
    number, texts = header
    wanted = {header_key(h): h for h in HEADERS}
    mapping, unknown = {}, []
    for position, text in enumerate(texts):
        if not text:
            continue
        label = wanted.get(header_key(text))
        if label:
            mapping[position] = label
        elif header_key(text) not in IGNORED:
            unknown.append(text)
    missing = [h for h in HEADERS if h not in mapping.values()]
    if missing:
        messages = [f"缺少必填列：{'、'.join(missing)}（第{number}行为表头；请下载导入模板对照）"]
        if unknown:
            messages.append(f"无法识别的列：{'、'.join(unknown)}")
        raise UploadError(*messages)
    rows = []
    for row in raw:
        values = row.values
        data = {label: values[p] for p, label in mapping.items() if p < len(values) and values[p] is not None}
        if not any(clean_text(v) for v in data.values()):
            continue
        if row.problems:
            data["_problems"] = [m for p, m in row.problems.items() if p in mapping]
        data[ROW_NUMBER] = row.number
        rows.append(data)
    if not rows:
        raise UploadError(f"文件只有表头（第{number}行），没有数据行。")
    return rows

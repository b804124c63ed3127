"""Workbooks the upload pages hand out: the import template of a record type, and an upload's problem rows marked up.

Both are generated from the catalog (``TypeSpec``), so a new record type needs no code.
"""

import datetime
import io
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from apps.catalog.choices import FieldType
from apps.catalog.normalise import EXCEL_EPOCH
from apps.catalog.spec import TypeSpec

from .table import open_table

DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
HEADER_FILL = PatternFill("solid", fgColor="FFDDEBF7")
REQUIRED_FONT = Font(bold=True, color="FFC00000")
OPTIONAL_FONT = Font(bold=True, color="FF000000")
# Excel's own "bad" style: light red fill, dark red text.
BAD_FILL = PatternFill("solid", fgColor="FFFFC7CE")
BAD_FONT = Font(color="FF9C0006")
NOTE_FONT = Font(color="FF9C0006")
INLINE_LIST_MAX = 250  # Excel refuses an inline list formula over 255 characters
CHOICES_SHEET = "选项"
GUIDE_SHEET = "填写说明"
RESULT_PROBLEM_HEADER = "问题说明"
RESULT_ROW_HEADER = "原文件行号"
COMMENT_AUTHOR = "公共信用信息平台"

_TYPE_HINTS = {
    FieldType.TEXT: "文本",
    FieldType.DATE: "日期，如 2024-09-27（也可写 2024/9/27、2024年9月27日）",
    FieldType.OPEN_DATE: "日期，如 2024-09-27；长期有效填“长期”",
    FieldType.DECIMAL: "数字，单位万元",
    FieldType.ENUM: "单选，从下拉列表中选择",
    FieldType.MULTI_ENUM: "可多选，多个值用英文分号“;”分隔",
    FieldType.USCC: "18位统一社会信用代码",
    FieldType.ID_NUMBER: "证件号码（证件类型为身份证时按18位身份证号校验）",
}
_GUIDE_NOTES = [
    "1. 第一个工作表第1行为表头，请勿修改、删除或调整表头文字；红色加粗的列为必填列。",
    "2. 日期写成 2024-09-27 格式；有效期为长期的填“长期”。金额单位为万元，最多保留6位小数。",
    "3. 证件号码、统一社会信用代码等长数字列已设为文本格式，请勿改成数字格式，以免丢失末尾数字。",
    "4. 同一行政决定文书号重复上传不会重复入库：内容相同视为重复，内容变化视为更正。",
    "5. 不要使用公式；确需使用时请在 Excel 或 WPS 中保存后再上传（平台读取公式的计算结果）。",
]


def _rule_text(spec: TypeSpec, rule: dict | None) -> str:
    if not rule:
        return ""
    other = spec.by_code.get(rule.get("field"))
    label = other.label if other else rule.get("field", "")
    if "in" in rule:
        return f"{label}为“{'/'.join(rule['in'])}”"
    if "contains" in rule:
        return f"{label}包含“{rule['contains']}”"
    if "equals" in rule:
        return f"{label}为“{rule['equals']}”"
    return ""


def field_requirement(spec: TypeSpec, field) -> str:
    parts = []
    if field.required:
        parts.append("必填")
    elif field.required_when:
        parts.append(f"{_rule_text(spec, field.required_when)}时必填")
    else:
        parts.append("选填")
    if field.forbidden_when:
        parts.append(f"{_rule_text(spec, field.forbidden_when)}时不填")
    return "；".join(parts)


def field_format(field) -> str:
    hint = _TYPE_HINTS.get(field.field_type, field.get_field_type_display())
    if field.field_type == FieldType.DECIMAL and field.decimal_places is not None:
        hint += f"，最多{field.decimal_places}位小数"
    if field.max_length:
        hint += f"，不超过{field.max_length}个字"
    return hint


def _number_format(field) -> str | None:
    if field.field_type in (FieldType.DATE, FieldType.OPEN_DATE):
        return DATE_FORMAT
    if field.field_type in (FieldType.TEXT, FieldType.USCC, FieldType.ID_NUMBER):
        return TEXT_FORMAT
    return None


def _sheet_title(name: str) -> str:
    for char in "[]:*?/\\":
        name = name.replace(char, "")
    return name[:31] or "数据"


def template_workbook(spec: TypeSpec) -> bytes:
    """The import template: national-template header row, dropdowns, formats, and a 填写说明 sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(spec.record_type.name)
    choices_ws = None
    for index, field in enumerate(spec.fields, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=field.label)
        cell.font = REQUIRED_FONT if field.required else OPTIONAL_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        note = [field_requirement(spec, field), field_format(field)]
        if field.help_text:
            note.append(field.help_text)
        cell.comment = Comment("\n".join(note), COMMENT_AUTHOR, width=260, height=110)
        ws.column_dimensions[letter].width = min(max(12, len(field.label) * 2 + 4), 40)
        number_format = _number_format(field)
        if number_format:
            ws.column_dimensions[letter].number_format = number_format
        if field.field_type in (FieldType.ENUM, FieldType.MULTI_ENUM) and field.choices:
            inline = ",".join(field.choices)
            if len(inline) <= INLINE_LIST_MAX and not any("," in c or '"' in c for c in field.choices):
                formula = f'"{inline}"'
            else:
                if choices_ws is None:
                    choices_ws = wb.create_sheet(CHOICES_SHEET)
                    choices_ws.sheet_state = "hidden"
                for row, choice in enumerate(field.choices, start=1):
                    choices_ws.cell(row=row, column=index, value=choice).data_type = "s"
                formula = f"'{CHOICES_SHEET}'!${letter}$1:${letter}${len(field.choices)}"
            multi = field.field_type == FieldType.MULTI_ENUM
            validation = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=True,
                showDropDown=False,  # (sic) openpyxl: False shows the in-cell arrow
                showErrorMessage=not multi,  # several values joined by ";" must stay possible
                errorTitle="不在可选值中",
                error=f"请从下拉列表中选择：{'、'.join(field.choices)}"[:255],
                showInputMessage=True,
                promptTitle=field.label[:32],
                prompt=("可多选，用英文分号“;”分隔" if multi else "请从下拉列表中选择")[:255],
            )
            validation.add(f"{letter}2:{letter}1048576")
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32

    guide = wb.create_sheet(GUIDE_SHEET, index=1)
    guide.append([f"《{spec.record_type.name}》导入模板填写说明（目录版本 {spec.record_type.version}）"])
    guide["A1"].font = Font(bold=True, size=13)
    for line in _GUIDE_NOTES:
        guide.append([line])
    guide.append([])
    header = ["字段名称", "字段代码", "数据类型及格式", "是否必填", "可选值", "填写说明"]
    guide.append(header)
    header_row = guide.max_row
    for column in range(1, len(header) + 1):
        guide.cell(row=header_row, column=column).font = Font(bold=True)
        guide.cell(row=header_row, column=column).fill = HEADER_FILL
    for field in spec.fields:
        guide.append(
            [
                field.label,
                field.code,
                field_format(field),
                field_requirement(spec, field),
                "；".join(field.choices),
                field.help_text,
            ]
        )
        if field.required:
            guide.cell(row=guide.max_row, column=1).font = REQUIRED_FONT
    for letter, width in zip("ABCDEF", (30, 16, 36, 36, 50, 40), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.data_type = "s" if cell.value is not None else cell.data_type

    out = io.BytesIO()
    wb.active = 0
    wb.save(out)
    return out.getvalue()


# --- the marked-up result file -------------------------------------------------------------------


def result_workbook_name(upload) -> str:
    """Storage name of the upload's problem rows, marked up; built (once) if missing."""
    name = f"uploads/results/{upload.pk}-{upload.sha256[:16]}-{upload.rejected}.xlsx"
    if not default_storage.exists(name):
        with tempfile.TemporaryFile() as out:
            build_result_workbook(upload, out)
            out.seek(0)
            saved = default_storage.save(name, File(out))
        if saved != name:  # built concurrently by another request: keep one
            default_storage.delete(saved)
    return name


def _excel_date(value):
    if isinstance(value, int | float) and not isinstance(value, bool) and 18264 <= value <= 109574:
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    return None


def build_result_workbook(upload, out) -> int:
    """Write the rejected rows of ``upload`` as .xlsx to ``out``: the original columns, bad cells in red with the
    reason as a comment, the original row number and every problem of the row in two added last columns.

    Returns the number of rows written. Streams both the source and the result (write-only workbook).
    """
    spec = TypeSpec.load(upload.record_type)
    rejected = {entry["row"]: entry["problems"] for entry in upload.problems or [] if entry.get("row") is not None}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(f"{spec.record_type.name}问题数据"))
    written = 0
    with upload.file.open("rb") as handle:
        table = open_table(handle, upload.original_name, spec)
        table.check()
        headers = list(table.header.headers)
        mapping = table.header.mapping
        position_of = {code: position for position, code in mapping.items()}
        width = len(headers)
        for position in range(width):
            ws.column_dimensions[get_column_letter(position + 1)].width = 18
        ws.column_dimensions[get_column_letter(width + 1)].width = 12
        ws.column_dimensions[get_column_letter(width + 2)].width = 60
        ws.freeze_panes = "A2"
        header_cells = []
        for text in [*headers, RESULT_ROW_HEADER, RESULT_PROBLEM_HEADER]:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            header_cells.append(cell)
        ws.append(header_cells)
        for row in table.raw_rows():
            problems = rejected.get(row.number)
            if problems is None:
                continue
            by_position: dict[int, list[str]] = {}
            for problem in problems:
                position = position_of.get(problem.get("field"))
                if position is not None:
                    by_position.setdefault(position, []).append(problem["message"])
            cells = []
            for position in range(max(width, len(row.values))):
                value = row.values[position] if position < len(row.values) else None
                code = mapping.get(position)
                field = spec.by_code.get(code) if code else None
                number_format = None
                if field is not None and field.field_type in (FieldType.DATE, FieldType.OPEN_DATE):
                    as_date = _excel_date(value)
                    if as_date is not None:
                        value, number_format = as_date, DATE_FORMAT
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text: "=…" is not turned into a formula
                if number_format:
                    cell.number_format = number_format
                reasons = by_position.get(position)
                if reasons:
                    cell.fill = BAD_FILL
                    cell.font = BAD_FONT
                    label = field.label if field else ""
                    cell.comment = Comment(
                        "\n".join(f"{label}：{r}" if label else r for r in reasons),
                        COMMENT_AUTHOR,
                        width=300,
                        height=120,
                    )
                cells.append(cell)
            cells.append(WriteOnlyCell(ws, value=row.number))
            summary = "；".join(f"{p['label']}：{p['message']}" if p.get("label") else p["message"] for p in problems)
            note = WriteOnlyCell(ws, value=summary)
            note.data_type = "s"
            note.font = NOTE_FONT
            note.alignment = Alignment(wrap_text=True, vertical="top")
            cells.append(note)
            ws.append(cells)
            written += 1
    wb.save(out)
    return written

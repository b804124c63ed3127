"""The exchange data as one workbook: 信用信息, 信用修复结果, 异议处理结果 — one sheet each.

Record fields in the national template columns are the records export's job (apps.records.export); this
file carries what the upstream needs to keep its copy in step: each record's identity and current state,
and the outcome of every repair and objection decided in the period. Text cells are neutralised against
formulas with the records export's rule.
"""

import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from apps.records.export import neutralise

from .selectors import ExchangeData

_YES_NO = {True: "是", False: "否"}

RECORD_COLUMNS = (
    ("record_id", "信息编号"),
    ("record_type_name", "信息类型"),
    ("department", "报送部门"),
    ("decision_number", "决定文书号"),
    ("decision_date", "决定日期"),
    ("subject_name", "行政相对人名称"),
    ("subject_kind", "行政相对人类别"),
    ("subject_code", "统一社会信用代码/证件号码"),
    ("status_display", "状态"),
    ("repaired", "已信用修复"),
    ("under_repair", "信用修复中"),
    ("under_objection", "异议处理中"),
    ("reported_at", "报送时间"),
    ("publicity_end", "公示截止日"),
)
CASE_COLUMNS = (
    ("number", "编号"),
    ("record_id", "信息编号"),
    ("record_type", "信息类型代码"),
    ("decision_number", "决定文书号"),
    ("subject_name", "行政相对人名称"),
    ("subject_code", "统一社会信用代码/证件号码"),
    ("department", "信息提供部门"),
    ("outcome_display", "办理结果"),
    ("decided_at", "办结时间"),
)
SHEETS = (
    ("信用信息", "records", RECORD_COLUMNS),
    ("信用修复结果", "repairs", (*CASE_COLUMNS, ("reason", "决定理由"))),
    ("异议处理结果", "objections", (*CASE_COLUMNS, ("reply", "答复"))),
)


def _cell(value):
    if isinstance(value, bool):
        return _YES_NO[value]
    if isinstance(value, int) or value is None:
        return value
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def exchange_xlsx(data: ExchangeData) -> bytes:
    workbook = Workbook(write_only=True)
    for title, key, columns in SHEETS:
        sheet = workbook.create_sheet(title)
        sheet.append([label for _, label in columns])
        for row in getattr(data, key):
            sheet.append([_cell(row.get(name)) for name, _ in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""Batch credit checks by file: reading the uploaded list (the platform's one guarded reader) and writing
the answers back as a workbook."""

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from apps.records.export import neutralise
from apps.records.intake.guards import SpreadsheetRefused, UploadError
from apps.records.intake.reader import read_sheet
from apps.records.intake.rows import SheetLimits
from apps.subjects.selectors import Lookup

from .models import CreditCheck, Matter


def batch_max_rows() -> int:
    return settings.CREDIT_CHECK_BATCH_MAX_ROWS


def batch_max_bytes() -> int:
    return settings.CREDIT_CHECK_BATCH_MAX_MB * 1024 * 1024


def _batch_sheet() -> SheetLimits:
    return SheetLimits(formats=(".xlsx", ".csv"), max_bytes=batch_max_bytes())


@dataclass(frozen=True)
class BatchQuery:
    row: int  # row number in the file (1-based, header included)
    text: str
    lookup: str = Lookup.AUTO


# Header names recognised for the column to check (compared without spaces, asterisks or brackets).
CODE_HEADERS = (
    "统一社会信用代码",
    "社会信用代码",
    "信用代码",
    "主体代码",
    "代码",
    "统一社会信用代码/身份证号码",
    "证件号码",
    "身份证号码",
    "身份证号",
    "uscc",
    "code",
)


NAME_HEADERS = ("名称", "主体名称", "企业名称", "单位名称", "行政相对人名称", "姓名", "name")


HEADER_SEARCH_ROWS = 10


_HEADER_NOISE = re.compile(r"[\s*＊:：]|（[^）]*）|\([^)]*\)")


def _header_key(value) -> str:
    return _HEADER_NOISE.sub("", str(value or "")).lower()


def _find_columns(row) -> tuple[int | None, int | None]:
    keys = [_header_key(v) for v in row]
    code_col = name_col = None
    for wanted in CODE_HEADERS:
        if wanted.lower() in keys:
            code_col = keys.index(wanted.lower())
            break
    if code_col is None:
        code_col = next((i for i, k in enumerate(keys) if "代码" in k or "证件号" in k or "身份证" in k), None)
    for wanted in NAME_HEADERS:
        if wanted.lower() in keys:
            name_col = keys.index(wanted.lower())
            break
    if name_col is None:
        name_col = next((i for i, k in enumerate(keys) if k.endswith("名称")), None)
    return code_col, name_col


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows_to_queries(rows: Iterable[tuple[int, list]]) -> list[BatchQuery]:
    """``rows``: (row number in the file, values) pairs."""
    code_col = name_col = None
    queries = []
    header_row = None
    for number, row in rows:
        row = list(row or ())
        if header_row is None:
            if number > HEADER_SEARCH_ROWS:
                break
            code_col, name_col = _find_columns(row)
            if code_col is not None or name_col is not None:
                header_row = number
            continue
        code = _cell_text(row[code_col]) if code_col is not None and code_col < len(row) else ""
        name = _cell_text(row[name_col]) if name_col is not None and name_col < len(row) else ""
        if code:
            queries.append(BatchQuery(number, code, Lookup.AUTO))
        elif name:
            queries.append(BatchQuery(number, name, Lookup.NAME))
        else:
            continue
        if len(queries) > batch_max_rows():
            raise ValidationError(f"文件超过 {batch_max_rows():,} 行，请拆分后分批核查。", code="too_many_rows")
    if header_row is None:
        raise ValidationError(
            "文件中没有可识别的列：请在首行表头写明“统一社会信用代码”（或“代码”）或“名称”。", code="no_column"
        )
    if not queries:
        raise ValidationError("文件中没有需要核查的数据（表头下方均为空行）。", code="empty")
    return queries


def batch_queries_read(uploaded) -> list[BatchQuery]:
    """Read the subjects to check from an uploaded ``.xlsx`` or ``.csv``; ``ValidationError`` (中文) if malformed."""
    name = (getattr(uploaded, "name", "") or "").lower()
    size = getattr(uploaded, "size", None)
    if size is not None and size > batch_max_bytes():
        raise ValidationError(
            f"文件大小 {size / 1024 / 1024:.1f} MB，超过 {batch_max_bytes() // 1024 // 1024} MB 上限，请拆分后上传。",
            code="too_large",
        )
    if name.endswith(".xls"):
        raise ValidationError("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后上传。", code="xls")
    if not (name.endswith(".xlsx") or name.endswith(".csv")):
        raise ValidationError("仅支持 .xlsx 或 .csv 文件。", code="extension")
    data = uploaded.read(batch_max_bytes() + 1)
    if len(data) > batch_max_bytes():
        raise ValidationError(f"文件超过 {batch_max_bytes() // 1024 // 1024} MB 上限，请拆分后上传。", code="too_large")
    if not data:
        raise ValidationError("上传的文件是空的。", code="empty")
    is_csv = name.endswith(".csv")
    if not is_csv and not data.startswith(b"PK\x03\x04"):
        raise ValidationError("文件不是有效的 .xlsx 工作簿（可能是改了扩展名的其他文件），请重新导出后上传。")
    # The platform's one guarded reader (zip-bomb limits, encodings and delimiters of a CSV), not openpyxl.
    try:
        rows = read_sheet(io.BytesIO(data), name, _batch_sheet(), size=len(data))
        return _rows_to_queries((row.number, row.values) for row in rows)
    except SpreadsheetRefused as exc:
        raise ValidationError(exc.messages, code="refused") from exc
    except UploadError as exc:
        if is_csv:  # the reader's own words: the encoding, a stray quote on row N, binary content
            raise ValidationError(exc.messages, code="unreadable") from exc
        raise ValidationError(
            "无法读取该 .xlsx 文件（文件已损坏或不是 Excel 工作簿），请重新导出后上传。", code="unreadable"
        ) from exc


BATCH_RESULT_HEADER = [
    "序号",
    "行号",
    "查询内容",
    "核查结果",
    "主体名称",
    "统一社会信用代码/证件号码",
    "经营状态",
    "在列名单",
    "适用措施",
    "说明",
    "作为法定代表人",
]


def _xlsx_text(value) -> str:
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value or "")))


def batch_result_rows(checks: list[CreditCheck], queries: list[BatchQuery] | None = None):
    for index, check in enumerate(checks, start=1):
        result = check.result
        subject = result.get("subject") or {}
        if result["found"]:
            outcome = "找到"
        elif result.get("candidates"):
            outcome = "同名主体多个"
        else:
            outcome = "未找到"
        lists = "；".join(
            f"{item['list_type_name']}（{item['color_display']}，{item['department']}，"
            f"认定{item['recognised_on']}，{('有效期至' + item['valid_until']) if item['valid_until'] else '长期'}）"
            for item in result.get("lists", [])
        )
        measures = "；".join(
            f"{m['code']} {m['name']}（{m['kind_display']}，实施部门：{m['implementing_department']}）"
            for m in result.get("measures", [])
        )
        if not result["found"] and result.get("candidates"):
            candidates = "、".join(f"{c['name']} {c['public_code']}" for c in result["candidates"])
            note = f"{result['message']}：{candidates}"
        else:
            note = result["message"]
        yield [
            index,
            queries[index - 1].row if queries else "",
            result.get("query", check.query),
            outcome,
            subject.get("name", ""),
            subject.get("public_code", ""),
            subject.get("status_display", ""),
            lists,
            measures,
            note,
            "；".join(
                f"{item['organisation']}：{item['list_type_name']}（{item['department']}，认定{item['recognised_on']}）"
                for item in result.get("as_legal_representative", [])
            ),
        ]


def batch_result_xlsx(checks: list[CreditCheck], *, matter: Matter, queries: list[BatchQuery] | None = None) -> bytes:
    """The batch answer as a workbook: one row per input row, text cells neutralised against formulas."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("核查结果")
    sheet.append(BATCH_RESULT_HEADER)
    for row in batch_result_rows(checks, queries):
        sheet.append([value if isinstance(value, int) else _xlsx_text(value) for value in row])
    about = workbook.create_sheet("说明")
    found = sum(1 for c in checks if c.found)
    on = checks[0].result["checked_on"] if checks else timezone.localdate().isoformat()
    for line in (
        ["办理事项", _xlsx_text(matter.name)],
        ["核查日期", on],
        ["核查条数", len(checks)],
        ["找到主体", found],
        ["适用奖惩措施的主体", sum(1 for c in checks if c.result.get("measures"))],
    ):
        about.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

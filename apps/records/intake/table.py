"""A spreadsheet read as one record type: header matching and data rows keyed by field code.

The header row is found among the first rows of the sheet (a title above the
table is common) and matched tolerantly by ``TypeSpec.match_headers``; a
two-row header (a merged group label over sub-labels) and a row of field codes
under the labels are understood too.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from apps.catalog.choices import FieldType
from apps.catalog.normalise import clean_text, header_key
from apps.catalog.spec import TypeSpec

from .guards import (
    UploadError,
)
from .reader import open_source
from .rows import DAMAGED, DAMAGED_MESSAGE, RawRow, blank, check_name_and_size

HEADER_SCAN_ROWS = 10
# Helper columns people add (or that our own result file adds): ignored without a word.
IGNORED_HEADERS = {header_key(h) for h in ("序号", "原文件行号", "问题说明")}
MAX_SHEETS_SCANNED = 20
# Excel keeps 15 significant digits: a longer number typed into a cell (an ID
# number, a long document number) has already lost digits when we see it.
_LOST_PRECISION = 1e15

# --- header matching -----------------------------------------------------------------


@dataclass
class HeaderMatch:
    first_row: int
    last_row: int
    headers: list[str]  # header text per column position (two-row headers combined)
    mapping: dict[int, str]  # column position → field code
    unknown: list[str]
    missing: list[str]
    skip_rows: set[int] = field(default_factory=set)  # rows repeating the header (e.g. field codes)


def _header_texts(row: RawRow) -> list[str]:
    return [clean_text(v) for v in row.values]


def _match(spec: TypeSpec, texts: list[str], first_row: int, last_row: int) -> HeaderMatch:
    mapping, unknown, missing = spec.match_headers(texts)
    unknown = [u for u in unknown if header_key(u) not in IGNORED_HEADERS]
    return HeaderMatch(first_row, last_row, texts, mapping, unknown, missing)


def find_header(spec: TypeSpec, rows: list[RawRow]) -> HeaderMatch | None:
    """The best header among the first rows: one row, or two (a group label above sub-labels)."""
    best = None
    texts = [_header_texts(r) for r in rows]
    singles = [_match(spec, texts[i], row.number, row.number) for i, row in enumerate(rows)]
    for i, row in enumerate(rows):
        candidates = [singles[i]]
        if i + 1 < len(rows) and rows[i + 1].number == row.number + 1:
            upper, lower = texts[i], texts[i + 1]
            width = max(len(upper), len(lower))
            combined = [
                (lower[c] if c < len(lower) and lower[c] else upper[c] if c < len(upper) else "") for c in range(width)
            ]
            pair = _match(spec, combined, row.number, rows[i + 1].number)
            if len(pair.mapping) > max(len(singles[i].mapping), len(singles[i + 1].mapping)):
                candidates.append(pair)
        for candidate in candidates:
            if candidate.mapping and (best is None or len(candidate.mapping) > len(best.mapping)):
                best = candidate
    if best is None:
        return None
    # A row right under the header naming the same fields (codes under labels) is not data.
    for i, row in enumerate(rows):
        if row.number <= best.last_row:
            continue
        mapping, _, _ = spec.match_headers(texts[i])
        if len(mapping) >= max(2, len(best.mapping) // 2):
            best.skip_rows.add(row.number)
            continue
        break
    return best


# --- the table ------------------------------------------------------------------------


class SheetRow(dict):
    """A data row keyed by field code, as ``records_ingest`` takes it, plus what the reader noticed per field."""

    __slots__ = ("row_number", "cell_problems", "merged")

    def __init__(self, row_number, values, cell_problems=None, merged=None):
        super().__init__(values)
        self.row_number = row_number
        self.cell_problems = cell_problems
        self.merged = merged


class Table:
    """An uploaded file read as one record type: its header, notes about it, and its data rows."""

    def __init__(self, source, spec: TypeSpec):
        self.source = source
        self.spec = spec
        self.notes: list[str] = []
        self.header = self._locate()
        if self.header:
            if self.header.first_row > 1:
                self.notes.append(f"表头位于第{self.header.first_row}行，之前的行未读取。")
            if self.header.skip_rows:
                rows = "、".join(str(r) for r in sorted(self.header.skip_rows))
                self.notes.append(f"第{rows}行重复了表头（如字段代码），未作为数据读取。")
            if self.header.unknown:
                self.notes.append(
                    f"以下列不是《{spec.record_type.name}》的字段，已忽略：{'、'.join(self.header.unknown)}"
                )
        field_types = {f.code: f.field_type for f in spec.fields}
        self._long_number_fields = {
            code for code, kind in field_types.items() if kind in (FieldType.TEXT, FieldType.ID_NUMBER, FieldType.USCC)
        }

    def _scan(self, source) -> list[RawRow]:
        scanned = []
        for row in source.rows(with_merges=False):
            if row.number > HEADER_SCAN_ROWS:
                break
            scanned.append(row)
        return scanned

    def _locate(self) -> HeaderMatch | None:
        source = self.source
        if source.kind == "xlsx":
            best, best_sheet = None, None
            for sheet in source.sheets[:MAX_SHEETS_SCANNED]:
                source.select(sheet)
                match = find_header(self.spec, self._scan(source))
                if match and (best is None or len(match.mapping) > len(best.mapping)):
                    best, best_sheet = match, sheet
            source.select(best_sheet or source.sheets[0])
            if best_sheet is not None and best_sheet is not source.sheets[0]:
                self.notes.append(f"读取的是工作表“{best_sheet.name}”。")
            return best
        return find_header(self.spec, self._scan(source))

    @property
    def sheet_name(self) -> str | None:
        return self.source.sheet.name if self.source.kind == "xlsx" else None

    def check(self) -> None:
        """Refuse a file whose header is not this record type's, naming every missing and unknown column."""
        name = self.spec.record_type.name
        if self.header is None:
            first = next((r for r in self._scan(self.source) if any(not blank(v) for v in r.values)), None)
            seen = [t for t in _header_texts(first) if t] if first else []
            messages = [
                f"未找到可识别的表头行：文件前{HEADER_SCAN_ROWS}行中没有与《{name}》模板相符的列名。请下载本类型的导入模板，按模板表头填写。"
            ]
            if seen:
                messages.append(f"无法识别的列：{'、'.join(seen[:60])}")
            required = [f.label for f in self.spec.fields if f.required]
            messages.append(f"缺少必填列：{'、'.join(required)}")
            raise UploadError(*messages)
        if self.header.missing:
            messages = [f"缺少必填列：{'、'.join(self.header.missing)}（第{self.header.last_row}行为表头）"]
            if self.header.unknown:
                messages.append(f"无法识别的列：{'、'.join(self.header.unknown)}（列名需与模板一致，可下载模板对照）")
            raise UploadError(*messages)

    def estimated_rows(self) -> int:
        total, _ = self.source.prescan()
        return max(total - self.header.last_row - len(self.header.skip_rows), 0) if self.header else 0

    def raw_rows(self, *, with_merges: bool = True, rows: Iterable[RawRow] | None = None) -> Iterator[RawRow]:
        """Every row after the header, as stored (for the marked-up result file).

        ``rows``: the sheet's rows as read elsewhere (the reader process of ``xlsx_process.py``) instead of
        reading ``source`` here."""
        for row in self.source.rows(with_merges=with_merges) if rows is None else rows:
            if row.number > self.header.last_row and row.number not in self.header.skip_rows:
                yield row

    def records(self, *, with_merges: bool = True) -> Iterator[SheetRow]:
        for row in self.raw_rows(with_merges=with_merges):
            record = self.sheet_row(row)
            if record is not None:
                yield record

    def sheet_row(self, row: RawRow) -> SheetRow | None:
        """A raw row as the pipeline takes it (keyed by field code), or None for a blank row."""
        mapping = self.header.mapping
        values = row.values
        width = len(values)
        data = {}
        for position, code in mapping.items():
            value = values[position] if position < width else None
            if not blank(value):
                data[code] = value
        problems = {mapping[p]: m for p, m in row.problems.items() if p in mapping} if row.problems else None
        if not data and not problems:
            return None  # a blank row (or one with only a serial number in an extra column)
        for code in self._long_number_fields & data.keys():
            value = data[code]
            if isinstance(value, float) and abs(value) >= _LOST_PRECISION:
                problems = problems or {}
                problems[code] = (
                    "该单元格是数字格式，长数字已被 Excel 改成科学计数法并丢失了后几位：请把该列设为“文本”格式后重新录入"
                )
        merged = {mapping[p]: r for p, r in row.merged.items() if p in mapping} if row.merged else None
        return SheetRow(row.number, data, problems, merged)

    def cells(self, fields, rows: Iterable[RawRow] | None = None) -> Iterator[tuple[RawRow, list]]:
        """Every data row with its values in the order of ``fields`` (None where the file has no column).

        The staged import's fast feed: no per-row dict. Blank rows are not skipped here (see sheet_row).
        ``rows`` as in ``raw_rows``.
        """
        positions = {code: position for position, code in self.header.mapping.items()}
        order = [positions.get(f.code) for f in fields]
        for row in self.raw_rows(rows=rows):
            values, width = row.values, len(row.values)
            yield row, [values[p] if p is not None and p < width else None for p in order]

    def has_data(self) -> bool:
        records = self.records(with_merges=False)  # no need to pre-scan the whole sheet for this
        try:
            return next(records, None) is not None
        finally:
            records.close()


def open_table(fileobj, name: str, spec: TypeSpec) -> Table:
    """Open an uploaded file (a binary, seekable file object) as ``spec``'s table. Raises UploadError."""
    check_name_and_size(name, None)
    source = open_source(fileobj, name)
    try:
        return Table(source, spec)
    except DAMAGED as exc:
        raise UploadError(DAMAGED_MESSAGE) from exc


def inspect_file(fileobj, name: str, size: int | None, spec: TypeSpec, *, upload_limit: bool = True) -> Table:
    """Everything that can be refused before the file is stored: what the upload form and the command run first.

    ``upload_limit=False`` is ``import_records``: the administrator's backfill reads a file of any size
    (streamed, memory flat), so ``RECORD_UPLOAD_MAX_MB`` — a web-upload limit — does not apply to it.
    """
    check_name_and_size(name, size if upload_limit else None)
    table = open_table(fileobj, name, spec)
    table.check()
    try:
        has_data = table.has_data()
    except DAMAGED as exc:
        raise UploadError(DAMAGED_MESSAGE) from exc
    if not has_data:
        raise UploadError(f"文件只有表头（第{table.header.last_row}行），没有数据行。")
    return table

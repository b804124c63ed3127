"""Spreadsheet intake: reading .xlsx / .csv files into catalog rows and running them through the pipeline.

Reading is streamed so memory stays flat however long the file is:

* ``.xlsx`` is read straight from the zip with the standard library's expat
  pull parser, one ``<row>`` at a time (cleared as soon as it is read). This
  is the ``data_only`` view of the workbook: a formula's cached value is
  used, a formula without one is a problem for that cell, error values
  (``#N/A``) are problems too. Merged cells: only the top-left cell carries
  the value, the others are empty (and a required field left empty that way
  says so). The only thing held whole is the shared-strings table, as in every
  xlsx reader. It is about three times faster than openpyxl's read-only mode.
* ``.csv`` in UTF-8 (with or without BOM), GBK/GB18030 or UTF-16, detected by
  decoding the whole file once, comma or tab separated.

The header row is found among the first rows of the sheet (a title above the
table is common) and matched tolerantly by ``TypeSpec.match_headers``; a
two-row header (a merged group label over sub-labels) and a row of field codes
under the labels are understood too.

``import_table`` feeds the rows to ``records_ingest``'s pipeline (the same
one as the web form and the API); ``upload_process`` is the Celery task's
body for a web upload.
"""

import codecs
import csv
import datetime
import hashlib
import io
import itertools
import logging
import posixpath
import re
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError, XMLPullParser

from django.conf import settings
from django.db import IntegrityError, OperationalError, reset_queries, transaction
from django.db.models import Q
from django.utils import timezone

from apps.catalog.choices import FieldType, Role
from apps.catalog.normalise import clean_text, header_key
from apps.catalog.spec import Problem, TypeSpec

from .choices import Outcome, Source, Status, UploadStatus
from .models import Record, Submission, Upload
from .review import review_queue_notify
from .services import Ingest, IngestSummary
from .spreadsheet import (
    MAX_ELEMENTS_PER_ROW,
    Limits,
    UploadError,  # defined with the guards; the other readers import it from here
    cell_too_long,
    check_member_count,
    check_package,
    open_part,
    too_many_elements,
)
from .staged import StagedImport, staged_available

logger = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = (".xlsx", ".csv")
HEADER_SCAN_ROWS = 10
# Helper columns people add (or that our own result file adds): ignored without a word.
IGNORED_HEADERS = {header_key(h) for h in ("序号", "原文件行号", "问题说明")}
MAX_SHEETS_SCANNED = 20
# Excel keeps 15 significant digits: a longer number typed into a cell (an ID
# number, a long document number) has already lost digits when we see it.
_LOST_PRECISION = 1e15
_CHUNK = 1 << 16
_STRINGS_STEP = 8192

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_upload_bytes() -> int:
    return int(getattr(settings, "RECORD_UPLOAD_MAX_MB", 50)) * 1024 * 1024


def extension_of(name: str) -> str:
    return posixpath.splitext((name or "").lower())[1]


def check_name_and_size(name: str, size: int | None) -> None:
    """The checks that need no reading: extension, empty, over the size limit."""
    ext = extension_of(name)
    if ext in (".xls", ".et", ".wps", ".xlsm", ".xlsb", ".ods"):
        raise UploadError(f"不支持“{ext}”格式：请在 Excel 或 WPS 中“另存为” .xlsx 工作簿（或 CSV）后再上传。")
    if ext not in ALLOWED_EXTENSIONS:
        shown = ext or "无扩展名"
        raise UploadError(f"不支持的文件类型（{shown}）：请上传 .xlsx 工作簿或 .csv 文件。")
    if size is not None and size == 0:
        raise UploadError("文件是空的（0 字节），请选择填好数据的文件。")
    limit = max_upload_bytes()
    if size is not None and size > limit:
        raise UploadError(
            f"文件大小 {size / 1024 / 1024:.1f} MB，超过上限 {limit // 1024 // 1024} MB。请拆分成多个文件分别上传。"
        )


# --- raw rows -------------------------------------------------------------------


@dataclass
class RawRow:
    """One sheet row as stored: values by column position, plus what the reader noticed."""

    number: int
    values: list
    problems: dict[int, str] | None = None  # column → why its value cannot be used
    merged: dict[int, str] | None = None  # column → merged range it is covered by (not its top-left)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- xlsx ------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_MERGE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]+\d+)(?::([A-Za-z]+\d+))?\"")
_CELL_REF = re.compile(r"^([A-Za-z]+)(\d+)$")
FORMULA_WITHOUT_VALUE = "公式没有计算结果（文件可能由程序生成、未在 Excel 中保存过）：请在 Excel 或 WPS 中打开、保存后重新上传，或直接填写数值"


def _ns(tag: str) -> str:
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def column_index(letters: str) -> int:
    """'A' → 0, 'AB' → 27."""
    number = 0
    for char in letters.upper():
        number = number * 26 + (ord(char) - 64)
    return number - 1


def column_letters(index: int) -> str:
    index += 1
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _parse_ref(ref: str) -> tuple[int, int]:
    match = _CELL_REF.match(ref)
    if not match:
        raise ValueError(ref)
    return int(match.group(2)), column_index(match.group(1))


@dataclass
class _Sheet:
    name: str
    path: str
    hidden: bool


class XlsxSource:
    kind = "xlsx"

    def __init__(self, fileobj):
        self.fileobj = fileobj
        fileobj.seek(0)
        head = fileobj.read(8)
        fileobj.seek(0)
        if not head:
            raise UploadError("文件是空的（0 字节），请选择填好数据的文件。")
        if head.startswith(_OLE_MAGIC):
            raise UploadError(
                "文件扩展名是 .xlsx，但实际是旧版 Excel（.xls）或设置了打开密码的工作簿：请在 Excel 或 WPS 中去掉密码、“另存为” .xlsx 后再上传。"
            )
        if not head.startswith(_ZIP_MAGIC):
            raise UploadError(
                "文件扩展名是 .xlsx，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件，或文件已损坏）：请在 Excel 或 WPS 中打开后“另存为” .xlsx。"
            )
        # Zip-bomb guards (spreadsheet.py): the directory first, nothing inflated yet; every part is then
        # opened with hard caps on what it inflates to.
        self.limits = Limits.current()
        check_member_count(fileobj, self.limits)
        try:
            self.zip = zipfile.ZipFile(fileobj)
            check_package(self.zip, self.limits)
            self.names = set(self.zip.namelist())
            self.sheets = self._sheets()
        except (zipfile.BadZipFile, KeyError, ParseError, ValueError, EOFError, zlib.error) as exc:
            raise UploadError(
                "文件扩展名是 .xlsx，但无法作为 Excel 工作簿打开（文件不完整或已损坏）：请在 Excel 或 WPS 中打开后“另存为” .xlsx。"
            ) from exc
        if not self.sheets:
            raise UploadError("工作簿中没有工作表。")
        # Shared strings are read as far as the rows read so far need (the header check of an upload
        # needs only the first few), the rest when a row refers to them.
        self._strings: list[str] = []
        self._strings_left = None
        self._strings_path = self._shared_strings_path
        self.sheet = self.sheets[0]
        self._prescanned: dict[str, tuple[int, dict]] = {}

    # workbook structure

    def _xml(self, name):
        with open_part(self.zip, name, self.limits.structure_bytes, self.limits) as handle:
            parser = XMLPullParser(events=("end",))
            parser.feed(handle.read())
            parser.close()
            elements = [el for _event, el in parser.read_events()]
        return elements[-1]  # the root ends last

    def _rels(self, base: str) -> dict[str, tuple[str, str]]:
        folder, name = posixpath.split(base)
        rels_name = posixpath.join(folder, "_rels", name + ".rels")
        if rels_name not in self.names:
            return {}
        rels = {}
        for rel in self._xml(rels_name):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            rels[rel.get("Id")] = (rel.get("Type", ""), path)
        return rels

    def _sheets(self) -> list[_Sheet]:
        root_rels = self._rels("")
        workbook = next((path for kind, path in root_rels.values() if kind.endswith("/officeDocument")), None)
        workbook = workbook or "xl/workbook.xml"
        if workbook not in self.names:
            raise KeyError(workbook)
        self.workbook_path = workbook
        self.workbook_rels = self._rels(workbook)
        sheets = []
        for element in self._xml(workbook).iter():
            if element.tag.rsplit("}", 1)[-1] != "sheet":
                continue
            rel_id = element.get(f"{{{_REL_NS}}}id") or element.get(
                "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
            )
            kind, path = self.workbook_rels.get(rel_id, ("", ""))
            if not kind.endswith("/worksheet") or path not in self.names:
                continue  # chart sheets, dialog sheets, dangling references
            sheets.append(_Sheet(element.get("name", ""), path, element.get("state", "visible") != "visible"))
        visible = [s for s in sheets if not s.hidden]
        return visible or sheets

    @property
    def _shared_strings_path(self):
        for kind, path in self.workbook_rels.values():
            if kind.endswith("/sharedStrings") and path in self.names:
                return path
        return None

    def shared_string(self, index: int, row: int) -> str:
        """Shared string ``index``, reading the table on as far as it; a bad index is a damaged file."""
        strings = self._strings
        if index < 0:
            raise IndexError(index)
        if index >= len(strings) and self._strings_path:
            if self._strings_left is None:
                self._strings_left = self._iter_shared_strings()
            # In steps of a few thousand: a row's new string is usually the next one, and resuming the
            # parser for each would cost the import a noticeable share of its time.
            strings.extend(itertools.islice(self._strings_left, max(index + 1 - len(strings), _STRINGS_STEP)))
        try:
            return strings[index]
        except IndexError:
            raise UploadError(f"第{row}行：工作簿的共享字符串表损坏，无法读取。") from None

    def _iter_shared_strings(self):
        limits = self.limits
        with open_part(self.zip, self._strings_path, limits.shared_strings_bytes, limits) as handle:
            parser = XMLPullParser(events=("start", "end"))
            root = ns = None
            opened = 0  # elements since the last string ended: its runs are held until it does
            while chunk := handle.read(_CHUNK):
                parser.feed(chunk)
                for event, el in parser.read_events():
                    if event == "start":
                        if root is None:
                            root, ns = el, _ns(el.tag)
                        opened += 1
                        continue
                    if el.tag == ns + "si":
                        text = _rich_text(el, ns)
                        if len(text) > limits.cell_chars:
                            raise cell_too_long(f"共享字符串表第{len(self._strings) + 1}项", len(text), limits)
                        opened = 0
                        yield text
                        root.clear()
                if opened > MAX_ELEMENTS_PER_ROW:
                    raise too_many_elements(f"共享字符串表第{len(self._strings) + 1}项")
            parser.close()

    def select(self, sheet: _Sheet):
        self.sheet = sheet

    # rows

    def prescan(self) -> tuple[int, dict[int, list[tuple[int, int, str]]]]:
        """Row count and merged ranges of the current sheet (``<mergeCells>`` follow the data, so a first pass finds them).

        A byte scan of the decompressed stream: no XML tree, flat memory.
        """
        if self.sheet.path in self._prescanned:
            return self._prescanned[self.sheet.path]
        rows, merges, carry = 0, {}, b""
        with open_part(self.zip, self.sheet.path, self.limits.member_bytes, self.limits) as handle:
            while chunk := handle.read(_CHUNK * 4):
                buffer = carry + chunk
                cut = buffer.rfind(b">") + 1
                # Only a tag cut in two is carried over; a longer stretch without ">" holds no tag we count.
                carry, buffer = buffer[cut:][-_CHUNK:], buffer[:cut]
                rows += len(_ROW_TAG.findall(buffer))
                for first, last in _MERGE_TAG.findall(buffer):
                    self._add_merge(merges, first.decode(), (last or first).decode())
        self._prescanned[self.sheet.path] = (rows, merges)
        return rows, merges

    @staticmethod
    def _add_merge(merges, first, last):
        try:
            (r1, c1), (r2, c2) = _parse_ref(first), _parse_ref(last)
        except ValueError:
            return
        r1, r2, c1, c2 = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
        ref = f"{first}:{last}".upper()
        for row in range(r1, r2 + 1):
            # (first covered column, last column, range) – the top-left cell keeps its value
            merges.setdefault(row, []).append((c1 + 1 if row == r1 else c1, c2, ref))

    def rows(self, *, with_merges: bool = True) -> Iterator[RawRow]:
        merges = self.prescan()[1] if with_merges else {}
        strings = self._strings  # grows as rows refer to later shared strings (shared_string)
        limits = self.limits
        cell_chars = limits.cell_chars
        column_cache: dict[str, int] = {}
        with open_part(self.zip, self.sheet.path, limits.member_bytes, limits) as handle:
            parser = XMLPullParser(events=("start", "end"))
            ns = None
            sheet_data = None
            previous = 0
            # Elements opened since the last row ended: a row is held whole until it ends, so one
            # with more than any real row could have is refused (checked once per chunk read).
            opened = 0
            while chunk := handle.read(_CHUNK):
                parser.feed(chunk)
                for event, el in parser.read_events():
                    if event == "start":
                        opened += 1
                        if ns is None:
                            ns = _ns(el.tag)
                            ROW, V, F, IS = ns + "row", ns + "v", ns + "f", ns + "is"  # noqa: N806
                            SHEET_DATA = ns + "sheetData"  # noqa: N806
                        elif sheet_data is None and el.tag == SHEET_DATA:
                            sheet_data = el
                        continue
                    if el.tag != ROW:
                        if el is sheet_data:
                            return  # nothing after the rows is read (merged ranges come from prescan)
                        continue
                    opened = 0
                    number = int(el.get("r") or previous + 1)
                    previous = number
                    values: list = []
                    problems = None
                    position = -1
                    for cell in el:
                        ref = cell.get("r")
                        if ref:
                            letters = ref.rstrip("0123456789")
                            position = column_cache.get(letters)
                            if position is None:
                                position = column_cache[letters] = column_index(letters)
                        else:
                            position += 1
                        kind = cell.get("t")
                        value = None
                        if kind == "inlineStr":
                            inline = cell.find(IS)
                            value = _rich_text(inline, ns) if inline is not None else None
                            if value is not None and len(value) > cell_chars:
                                raise cell_too_long(_cell_name(number, position), len(value), limits)
                        else:
                            v = cell.find(V)
                            if v is None:
                                if cell.find(F) is not None:
                                    problems = problems or {}
                                    problems[position] = FORMULA_WITHOUT_VALUE
                            else:
                                text = v.text or ""
                                if len(text) > cell_chars:
                                    raise cell_too_long(_cell_name(number, position), len(text), limits)
                                if kind == "s":
                                    try:
                                        value = strings[int(text)]
                                    except IndexError:
                                        value = self.shared_string(int(text), number)
                                    except ValueError:
                                        raise UploadError(
                                            f"第{number}行：工作簿的共享字符串表损坏，无法读取。"
                                        ) from None
                                elif kind is None or kind == "n":
                                    value = _number(text)
                                elif kind == "b":
                                    value = "TRUE" if text == "1" else "FALSE"
                                elif kind == "e":
                                    problems = problems or {}
                                    problems[position] = f"单元格是错误值 {text}（公式计算出错），请改为正确的值"
                                else:  # "str" (a formula's text result), "d" (ISO date)
                                    value = text
                        if value is not None:
                            if position >= len(values):
                                values.extend([None] * (position + 1 - len(values)))
                            values[position] = value
                    merged = None
                    for first, last, ref in merges.get(number, ()):
                        merged = merged or {}
                        for column in range(first, last + 1):
                            merged[column] = ref
                    if sheet_data is not None:
                        sheet_data.clear()
                    else:
                        el.clear()
                    yield RawRow(number, values, problems, merged)
                if opened > MAX_ELEMENTS_PER_ROW:
                    raise too_many_elements(f"工作表“{self.sheet.name}”第{previous + 1}行")
            parser.close()


def _cell_name(row: int, position: int) -> str:
    return f"第{row}行{column_letters(position)}列"


def _rich_text(el, ns) -> str:
    """Text of a shared/inline string: plain ``<t>`` or rich-text runs; phonetic guides (``<rPh>``) left out."""
    t_tag, r_tag = ns + "t", ns + "r"
    parts = []
    for child in el:
        if child.tag == t_tag:
            parts.append(child.text or "")
        elif child.tag == r_tag:
            for grandchild in child:
                if grandchild.tag == t_tag:
                    parts.append(grandchild.text or "")
    return "".join(parts)


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


# --- csv ---------------------------------------------------------------------------


# The csv module's messages (English, with internals such as the field limit) in the clerk's words.
_CSV_REASONS = {
    "field larger than field limit": "某个单元格内容过长",
    "line contains nul": "文件中含有空字符（NUL），可能不是文本文件",
    "new-line character seen in unquoted field": "单元格中的换行没有用引号括起来",
    "unexpected end of data": "文件在引号内意外结束，请检查引号是否成对",
}


def csv_error_reason(exc: csv.Error) -> str:
    text = str(exc).lower()
    return next((reason for key, reason in _CSV_REASONS.items() if key in text), "请检查引号是否成对、分隔符是否一致")


class CsvSource:
    kind = "csv"
    sheet = None

    def __init__(self, fileobj):
        self.fileobj = fileobj
        fileobj.seek(0)
        head = fileobj.read(8)
        fileobj.seek(0)
        if not head:
            raise UploadError("文件是空的（0 字节），请选择填好数据的文件。")
        if head.startswith(_ZIP_MAGIC):
            raise UploadError("文件扩展名是 .csv，但内容是 Excel 工作簿：请把扩展名改为 .xlsx 后再上传。")
        if head.startswith(_OLE_MAGIC):
            raise UploadError("文件扩展名是 .csv，但内容是旧版 Excel（.xls）文件：请另存为 .xlsx 或 CSV 后再上传。")
        self.encoding, self.lines = self._detect(head)
        self.delimiter = self._delimiter()

    def _detect(self, head: bytes) -> tuple[str, int]:
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            candidates = ["utf-16"]
        elif head.startswith(codecs.BOM_UTF8):
            candidates = ["utf-8-sig"]
        else:
            candidates = ["utf-8-sig", "gb18030"]
        for encoding in candidates:
            decoder = codecs.getincrementaldecoder(encoding)()
            self.fileobj.seek(0)
            lines, text = 0, ""
            try:
                while chunk := self.fileobj.read(_CHUNK * 4):
                    text = decoder.decode(chunk)
                    if "\x00" in text:
                        raise UploadError("文件含有二进制内容（空字符），不是 CSV 文本文件。")
                    lines += text.count("\n")
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            self.fileobj.seek(0)
            return encoding, lines + (1 if text and not text.endswith("\n") else 0)
        raise UploadError(
            "无法识别 CSV 文件的编码：请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”，或 GBK 编码的 CSV 后再上传。"
        )

    def _delimiter(self) -> str:
        first = ""
        for row in self._lines(limit=1):
            first = row
        return "\t" if first.count("\t") > first.count(",") else ","

    def _lines(self, limit=None):
        self.fileobj.seek(0)
        wrapper = io.TextIOWrapper(self.fileobj, encoding=self.encoding, newline="")
        try:
            for number, line in enumerate(wrapper, start=1):
                yield line
                if limit and number >= limit:
                    return
        finally:
            wrapper.detach()

    def prescan(self):
        return self.lines, {}

    def rows(self, *, with_merges: bool = True) -> Iterator[RawRow]:
        reader = csv.reader(self._lines(), delimiter=self.delimiter)
        number = 0
        try:
            for values in reader:
                number += 1
                yield RawRow(number, [v if v != "" else None for v in values])
        except csv.Error as exc:
            raise UploadError(f"第{number + 1}行附近 CSV 格式有误（{csv_error_reason(exc)}）。") from exc


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
            first = next((r for r in self._scan(self.source) if any(not _blank(v) for v in r.values)), None)
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

    def raw_rows(self, *, with_merges: bool = True) -> Iterator[RawRow]:
        """Every row after the header, as stored (for the marked-up result file)."""
        for row in self.source.rows(with_merges=with_merges):
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
            if not _blank(value):
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

    def cells(self, fields) -> Iterator[tuple[RawRow, list]]:
        """Every data row with its values in the order of ``fields`` (None where the file has no column).

        The staged import's fast feed: no per-row dict. Blank rows are not skipped here (see sheet_row).
        """
        positions = {code: position for position, code in self.header.mapping.items()}
        order = [positions.get(f.code) for f in fields]
        for row in self.raw_rows():
            values, width = row.values, len(row.values)
            yield row, [values[p] if p is not None and p < width else None for p in order]

    def has_data(self) -> bool:
        records = self.records(with_merges=False)  # no need to pre-scan the whole sheet for this
        try:
            return next(records, None) is not None
        finally:
            records.close()


DAMAGED = (zipfile.BadZipFile, ParseError, zlib.error, EOFError)
DAMAGED_MESSAGE = "文件内容已损坏，无法读取：请在 Excel 或 WPS 中打开后重新保存。"


def open_table(fileobj, name: str, spec: TypeSpec) -> Table:
    """Open an uploaded file (a binary, seekable file object) as ``spec``'s table. Raises UploadError."""
    check_name_and_size(name, None)
    try:
        source = XlsxSource(fileobj) if extension_of(name) == ".xlsx" else CsvSource(fileobj)
        return Table(source, spec)
    except DAMAGED as exc:
        raise UploadError(DAMAGED_MESSAGE) from exc


def xlsx_rows(fileobj) -> Iterator[RawRow]:
    """The first visible sheet of an .xlsx, row by row (numbered as in the sheet) through the guarded
    reader: the readers of other apps take this instead of openpyxl. Raises UploadError."""
    try:
        yield from XlsxSource(fileobj).rows(with_merges=False)
    except DAMAGED as exc:
        raise UploadError(DAMAGED_MESSAGE) from exc


def inspect_file(fileobj, name: str, size: int | None, spec: TypeSpec) -> Table:
    """Everything that can be refused before the file is stored: what the upload form and the command run first."""
    check_name_and_size(name, size)
    table = open_table(fileobj, name, spec)
    table.check()
    try:
        has_data = table.has_data()
    except DAMAGED as exc:
        raise UploadError(DAMAGED_MESSAGE) from exc
    if not has_data:
        raise UploadError(f"文件只有表头（第{table.header.last_row}行），没有数据行。")
    return table


# --- the pipeline -------------------------------------------------------------------------


class SheetSpec(TypeSpec):
    """The catalog type, plus the reader's own findings (formula without value, merged cell…) as row problems."""

    def __init__(self, spec: TypeSpec):
        super().__init__(spec.record_type, spec.fields)

    def validate(self, raw, *, today):
        result = super().validate(raw, today=today)
        cell_problems = getattr(raw, "cell_problems", None)
        if cell_problems:
            # The reader's reason replaces whatever the empty or mangled value made the checks say.
            result.problems = [p for p in result.problems if p.field not in cell_problems]
            for code, message in cell_problems.items():
                result.values.pop(code, None)
                result.problems.append(Problem(code, self.by_code[code].label, message))
        merged = getattr(raw, "merged", None)
        if merged:
            for problem in result.problems:
                if problem.field in merged and problem.message.endswith("不能为空"):
                    problem.message += f"（该单元格在合并单元格 {merged[problem.field]} 中：合并区域只有左上角单元格有值，其余按空读取）"
        return result


def _lock_conflict(exc: OperationalError) -> bool:
    cause = getattr(exc, "__cause__", None)
    return type(cause).__name__ in ("DeadlockDetected", "SerializationFailure", "LockNotAvailable")


class RetryingIngest(Ingest):
    """The pipeline, with one retry of a batch that lost a race.

    Two uploads of the same rows at the same time both find no record and both
    insert; the second insert waits for the first transaction and then fails
    on the (department, type, document number) constraint. Running that batch
    again sees the committed records, so its rows become duplicates, and both
    uploads end in the same state.
    """

    def _batch(self, rows, severity):
        known = len(self.seen_keys)
        try:
            return super()._batch(rows, severity)
        except (IntegrityError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not _lock_conflict(exc):
                raise
            logger.info("批次与并发导入冲突，重试一次：%s", exc)
            # Forget the document numbers this batch added (the last ones in the dict) so it starts as before.
            for key in list(itertools.islice(reversed(self.seen_keys), len(self.seen_keys) - known)):
                del self.seen_keys[key]
            return super()._batch(rows, severity)


@dataclass
class Progress:
    processed: int = 0
    accepted: int = 0
    updated: int = 0
    rejected: int = 0
    duplicates: int = 0
    rejected_rows: list[dict] = field(default_factory=list)
    warned: int = 0  # stored rows with notes for the clerk; the first UPLOAD_MAX_WARNED_ROWS are listed
    warned_rows: list[dict] = field(default_factory=list)

    def as_dict(self):
        return {"accepted": self.accepted + self.updated, "rejected": self.rejected, "duplicates": self.duplicates}


def import_table(
    table: Table,
    *,
    department,
    source: str,
    actor=None,
    actor_label: str = "",
    upload: Upload | None = None,
    today=None,
    on_progress: Callable[[Progress], None] | None = None,
) -> tuple[Progress, IngestSummary]:
    """Run every data row of ``table`` through the pipeline; rejected rows are collected with their problems."""
    spec = SheetSpec(table.spec)
    number_field = spec.field_code(Role.DECISION_NUMBER)
    ingest = RetryingIngest(
        record_type=spec,
        department=department,
        source=source,
        actor=actor,
        actor_label=actor_label,
        upload=upload,
        today=today,
    )
    progress = Progress()
    warned_limit = settings.UPLOAD_MAX_WARNED_ROWS
    pending: dict[int, str] = {}  # row → document number as written, until its batch is done

    def rows(source):
        for number, row in source:
            pending[number] = clean_text(row.get(number_field)) if number_field else ""
            yield number, row

    def on_batch(new: list):
        for outcome in new:
            number = pending.pop(outcome.row_number, "")
            if outcome.warnings and outcome.outcome != Outcome.REJECTED:
                progress.warned += 1
            if outcome.warnings and outcome.outcome != Outcome.REJECTED and progress.warned <= warned_limit:
                progress.warned_rows.append(
                    {
                        "row": outcome.row_number,
                        "decision_number": outcome.decision_number or number,
                        "outcome": outcome.outcome,
                        "warnings": [
                            {"field": p.field, "label": p.label, "message": p.message} for p in outcome.warnings
                        ],
                    }
                )
            if outcome.outcome == Outcome.ACCEPTED:
                progress.accepted += 1
            elif outcome.outcome == Outcome.UPDATED:
                progress.updated += 1
            elif outcome.outcome == Outcome.DUPLICATE:
                progress.duplicates += 1
            else:
                progress.rejected += 1
                progress.rejected_rows.append(
                    {
                        "row": outcome.row_number,
                        "decision_number": outcome.decision_number or number,
                        "problems": [
                            {"field": p.field, "label": p.label, "message": p.message} for p in outcome.problems
                        ],
                        "warnings": [
                            {"field": p.field, "label": p.label, "message": p.message} for p in outcome.warnings
                        ],
                    }
                )
        progress.processed += len(new)
        # With DEBUG on, Django keeps every query's SQL (a batch insert is megabytes): memory would grow with N.
        reset_queries()
        if on_progress:
            on_progress(progress)

    if not staged_available(ingest):
        summary = ingest.run(rows((r.row_number, r) for r in table.records()), on_batch=on_batch, keep_outcomes=False)
        return progress, summary

    def on_chunk(accepted: int, duplicates: int):
        progress.accepted += accepted
        progress.duplicates += duplicates
        progress.processed += accepted + duplicates
        if on_progress:
            on_progress(progress)

    staged = StagedImport(ingest, read_errors=(*DAMAGED, UploadError))
    try:
        # The rows the staged path stores go straight in; the rest — rejected or unusual — through the pipeline.
        leftovers = staged.run(table, on_chunk=on_chunk)
        summary = ingest.run(rows(leftovers), on_batch=on_batch, keep_outcomes=False)
    finally:
        staged.drop()
    if staged.read_error is not None:
        raise staged.read_error  # after keeping every row read before the damage
    return progress, summary


def read_failure_message(exc: Exception, processed: int) -> str:
    if isinstance(exc, UploadError):
        reason = str(exc)
    elif isinstance(exc, FileNotFoundError):
        reason = "服务器上找不到上传的文件，请重新上传"
    elif isinstance(exc, DAMAGED):
        reason = "文件内容已损坏，无法继续读取（请在 Excel 或 WPS 中打开后重新保存）"
    elif isinstance(exc, UnicodeDecodeError):
        reason = "文件中有无法识别的字符编码"
    else:
        reason = "处理时发生内部错误，已记录日志，请联系信用中心"
    kept = f"此前已处理的 {processed} 行结果已保存。" if processed else ""
    return f"导入中断：{reason}。{kept}"


# --- web uploads ------------------------------------------------------------------------------


def upload_queryset_for(user):
    """Uploads a user may see: their department's; the credit center sees all."""
    qs = Upload.objects.select_related("department", "record_type", "created_by")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser or getattr(user, "is_center", False):
        return qs
    if getattr(user, "is_department_staff", False) and user.department_id:
        return qs.filter(department_id=user.department_id)
    return qs.none()


def upload_process(upload_id: int) -> dict:
    """Read a stored upload and run it through the pipeline, recording progress on the Upload row."""
    upload = Upload.objects.select_related("department", "record_type", "created_by").filter(pk=upload_id).first()
    if upload is None:
        logger.warning("上传批次 %s 不存在", upload_id)
        return {}
    if upload.status == UploadStatus.DONE:
        return {"accepted": upload.accepted, "rejected": upload.rejected, "duplicates": upload.duplicates}
    if upload.status == UploadStatus.RUNNING:
        # Redelivered after a worker died (acks_late): start over. Rows already stored come back as
        # duplicates; the first attempt's per-row submissions are replaced by this attempt's.
        logger.warning("上传批次 %s 在处理中被重新投递，重新处理", upload.pk)
        Submission.objects.filter(upload=upload).delete()
    Upload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.RUNNING,
        processed_rows=0,
        accepted=0,
        rejected=0,
        duplicates=0,
        error="",
        problems=[],
        active_at=timezone.now(),
        warnings={},
    )
    progress = Progress()
    notes: list[str] = []
    try:
        with upload.file.open("rb") as handle:
            table = open_table(handle, upload.original_name, TypeSpec.load(upload.record_type))
            table.check()
            notes = table.notes
            estimate = table.estimated_rows()
            Upload.objects.filter(pk=upload.pk).update(total_rows=estimate)

            def on_progress(p: Progress):
                nonlocal progress
                progress = p
                Upload.objects.filter(pk=upload.pk).update(
                    processed_rows=p.processed,
                    total_rows=max(estimate, p.processed),
                    active_at=timezone.now(),  # a sign of life for the sweeper
                    **p.as_dict(),
                )

            progress, _ = import_table(
                table,
                department=upload.department,
                source=Source.UPLOAD,
                actor=upload.created_by,
                upload=upload,
                on_progress=on_progress,
            )
    except Exception as exc:  # noqa: BLE001 — any failure must end as a visible "failed", never a stuck upload
        if not isinstance(exc, UploadError):
            logger.exception("上传批次 %s 处理失败", upload.pk)
        _finish(
            upload, progress, notes, status=UploadStatus.FAILED, error=read_failure_message(exc, progress.processed)
        )
        return progress.as_dict()
    _finish(upload, progress, notes, status=UploadStatus.DONE)
    if progress.rejected:
        try:
            from .xlsx import result_workbook_name  # xlsx.py imports this module

            result_workbook_name(Upload.objects.get(pk=upload.pk))
        except Exception:  # noqa: BLE001 — the marked file can be built again on download
            logger.exception("上传批次 %s 的问题标注文件生成失败", upload.pk)
    return progress.as_dict()


def _finish(upload, progress: Progress, notes, *, status, error=""):
    problems = [{"row": None, "note": n} for n in notes] + progress.rejected_rows
    fields = {
        "status": status,
        "error": error,
        "processed_rows": progress.processed,
        "problems": problems,
        "warnings": {"total": progress.warned, "rows": progress.warned_rows},
        "finished_at": timezone.now(),
        **progress.as_dict(),
    }
    if status == UploadStatus.DONE:
        fields["total_rows"] = progress.processed
    Upload.objects.filter(pk=upload.pk).update(**fields)
    if status == UploadStatus.DONE:
        waiting = Record.objects.filter(upload=upload, status=Status.PENDING_REVIEW).count()
        review_queue_notify(department=upload.department, count=waiting, what=f"上传文件“{upload.original_name}”中")


def upload_create(*, uploaded_file, record_type, department, user, original_name: str | None = None) -> Upload:
    """Store an accepted file (outside the web root) and queue its import once the row is committed."""
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in (
        uploaded_file.chunks() if hasattr(uploaded_file, "chunks") else iter(lambda: uploaded_file.read(_CHUNK), b"")
    ):
        digest.update(chunk)
    uploaded_file.seek(0)
    name = original_name or getattr(uploaded_file, "name", "") or "upload"
    with transaction.atomic():
        upload = Upload(
            department=department,
            record_type=record_type,
            original_name=posixpath.basename(name.replace("\\", "/"))[:255],
            sha256=digest.hexdigest(),
            created_by=user if getattr(user, "pk", None) else None,
        )
        upload.file.save(f"{uuid.uuid4().hex}{extension_of(name)}", uploaded_file, save=False)
        upload.save()
        transaction.on_commit(lambda: _enqueue_new(upload.pk))
    return upload


def _enqueue(upload_id: int) -> bool:
    """Send the upload's import to the queue; False (logged) when the broker cannot take it."""
    from .tasks import import_upload

    try:
        import_upload.delay(upload_id)
    except Exception:  # noqa: BLE001 — the caller decides what a broker outage means
        logger.exception("上传批次 %s 无法加入任务队列", upload_id)
        return False
    return True


def _enqueue_new(upload_id: int) -> None:
    if not _enqueue(upload_id):  # a broker outage must not leave a new upload "queued" for ever
        Upload.objects.filter(pk=upload_id, status=UploadStatus.QUEUED).update(
            status=UploadStatus.FAILED,
            error="任务队列暂时不可用，文件未能开始处理，请稍后重新上传。",
            finished_at=timezone.now(),
        )


# --- the sweeper ------------------------------------------------------------------------------------------


def _no_sign_of_life_since(cutoff) -> Q:
    return Q(status__in=(UploadStatus.QUEUED, UploadStatus.RUNNING)) & (
        Q(active_at__lt=cutoff) | Q(active_at__isnull=True, created_at__lt=cutoff)
    )


def stuck_failure_message(attempts: int, processed: int) -> str:
    kept = f"此前已处理的 {processed} 行结果已保存，再次上传时这些行会识别为重复，不会重复入库。" if processed else ""
    return (
        f"导入未能完成：文件长时间没有处理进展，系统已自动重新排队 {attempts} 次仍未完成，已停止处理。{kept}"
        "请重新上传该文件；如仍出现此情况，请联系信用中心。"
    )


def uploads_sweep(*, now=None) -> dict:
    """Queue again every upload stuck 排队中/处理中 (a lost queue message, a stalled worker), failing it after
    UPLOAD_MAX_REQUEUES times.

    Running one twice is safe: ``upload_process`` returns at once for a finished upload, and a second run
    of an unfinished one finds the rows already stored as duplicates. Each change is a conditional update,
    so an upload that showed a sign of life meanwhile (or that another sweep took) is left alone.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.UPLOAD_STUCK_MINUTES)
    most = settings.UPLOAD_MAX_REQUEUES
    requeued, failed = [], []
    stuck = Upload.objects.filter(_no_sign_of_life_since(cutoff)).values_list("pk", "attempts", "processed_rows")
    for pk, attempts, processed in stuck:
        still_stuck = Upload.objects.filter(_no_sign_of_life_since(cutoff), pk=pk, attempts=attempts)
        if attempts >= most:
            if still_stuck.update(
                status=UploadStatus.FAILED, error=stuck_failure_message(attempts, processed), finished_at=now
            ):
                logger.error("上传批次 %s 重新排队 %s 次后仍无进展，已标记失败", pk, attempts)
                failed.append(pk)
        elif still_stuck.update(attempts=attempts + 1, active_at=now):
            logger.warning("上传批次 %s 长时间无进展，第 %s 次重新排队", pk, attempts + 1)
            requeued.append(pk)
            _enqueue(pk)  # the broker down: the next sweep tries again (and counts it)
    return {"requeued": requeued, "failed": failed}


def uploads_needing_attention(*, now=None, limit: int = 50):
    """For the credit center's dashboard: unfinished uploads without a sign of life past the threshold,
    and every upload the sweeper queued again that did not end done (still retried, or failed by it)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.UPLOAD_STUCK_MINUTES)
    return (
        Upload.objects.select_related("department", "record_type")
        .filter(_no_sign_of_life_since(cutoff) | (Q(attempts__gt=0) & ~Q(status=UploadStatus.DONE)))
        .order_by("-created_at")[:limit]
    )

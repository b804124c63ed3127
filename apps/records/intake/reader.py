"""Reading spreadsheets: the one guarded reader of every .xlsx / .csv the platform takes in.

Reading is streamed so memory stays flat however long the file is:

* ``.xlsx`` is read straight from the zip with the standard library's expat
  pull parser, one ``<row>`` at a time (cleared as soon as it is read). This
  is the ``data_only`` view of the workbook: a formula's cached value is
  used, a formula without one is a problem for that cell, error values
  (``#N/A``) are problems too. Merged cells: only the top-left cell carries
  the value, the others are empty (and a required field left empty that way
  says so). Every part is opened through the zip-bomb guards of ``guards.py``.
* ``.csv`` in UTF-8 (with or without BOM), GBK/GB18030 or UTF-16, detected from a
  window starting at the first non-ASCII byte (``CSV_DETECT_BYTES``) and decoded
  incrementally as it is read, comma or tab separated.

Record uploads read through ``table.py`` on top of this; the other apps' spreadsheet inputs
(commitments import, batch credit check, grade import) take ``read_sheet``: the same guards, the same
cell typing, .xlsx and .csv alike.
"""

import codecs
import csv
import io
import logging
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, XMLPullParser

from django.conf import settings

from .guards import (
    MAX_ELEMENTS_PER_ROW,
    Limits,
    UploadError,
    cell_too_long,
    check_member_count,
    check_package,
    open_part,
    too_many_elements,
)
from .shared_strings import SharedStrings

logger = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = (".xlsx", ".csv")
_CHUNK = 1 << 16
# How much of a CSV decides its encoding (from its first non-ASCII byte on): one incremental decode of
# a window, not of the whole file.
CSV_DETECT_BYTES = 1 << 20

# What a damaged package raises while it is read (the readers turn each into UploadError).
DAMAGED = (zipfile.BadZipFile, ParseError, zlib.error, EOFError)
DAMAGED_MESSAGE = "文件内容已损坏，无法读取：请在 Excel 或 WPS 中打开后重新保存。"

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_upload_bytes() -> int:
    return settings.RECORD_UPLOAD_MAX_MB * 1024 * 1024


def extension_of(name: str) -> str:
    return posixpath.splitext((name or "").lower())[1]


@dataclass(frozen=True)
class SheetLimits:
    """What one spreadsheet input accepts beyond the zip-bomb limits (those are the same for all: guards.Limits).

    ``max_bytes`` None: ``RECORD_UPLOAD_MAX_MB``. ``max_rows``: sheet rows read, None for any number.
    """

    formats: tuple[str, ...] = ALLOWED_EXTENSIONS
    max_bytes: int | None = None
    max_rows: int | None = None


UPLOADS = SheetLimits()


def _formats_shown(formats) -> str:
    return "或 ".join({".xlsx": ".xlsx 工作簿", ".csv": ".csv 文件"}.get(f, f) for f in formats)


def check_name_and_size(name: str, size: int | None, limits: SheetLimits = UPLOADS) -> None:
    """The checks that need no reading: extension, empty, over the size limit."""
    ext = extension_of(name)
    if ext in (".xls", ".et", ".wps", ".xlsm", ".xlsb", ".ods"):
        other = "（或 CSV）" if ".csv" in limits.formats else ""
        raise UploadError(f"不支持“{ext}”格式：请在 Excel 或 WPS 中“另存为” .xlsx 工作簿{other}后再上传。")
    if ext not in limits.formats:
        shown = ext or "无扩展名"
        raise UploadError(f"不支持的文件类型（{shown}）：请上传 {_formats_shown(limits.formats)}。")
    if size is not None and size == 0:
        raise UploadError("文件是空的（0 字节），请选择填好数据的文件。")
    limit = limits.max_bytes or max_upload_bytes()
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


def blank(value) -> bool:
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
        # Zip-bomb guards (guards.py): the directory first, nothing inflated yet; every part is then
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
        # needs only the first few), the rest when a row refers to them; beyond a memory budget they
        # spill to a temporary file (shared_strings.py).
        self._strings_path = self._shared_strings_path
        self.strings = SharedStrings(
            self._iter_shared_strings() if self._strings_path else None, self.limits.strings_memory_bytes
        )
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
        return self.strings.get(index, row)

    def close(self) -> None:
        """Drop the spilled shared strings now rather than when the source is collected."""
        self.strings.close()

    def _iter_shared_strings(self):
        limits = self.limits
        with open_part(self.zip, self._strings_path, limits.shared_strings_bytes, limits) as handle:
            parser = XMLPullParser(events=("start", "end"))
            root = ns = None
            opened = 0  # elements since the last string ended: its runs are held until it does
            read = 0
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
                        read += 1
                        if len(text) > limits.cell_chars:
                            raise cell_too_long(f"共享字符串表第{read}项", len(text), limits)
                        opened = 0
                        yield text
                        root.clear()
                if opened > MAX_ELEMENTS_PER_ROW:
                    raise too_many_elements(f"共享字符串表第{read + 1}项")
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
        shared = self.strings
        strings = shared.head  # the first strings, in memory; the rest through shared.get (cache or disk)
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
                                        index = int(text)
                                        # (A negative index would read the list from its end.)
                                        value = strings[index] if index >= 0 else shared.get(index, number)
                                    except IndexError:
                                        value = shared.get(index, number)
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


# A noncharacter no text file holds: what the CSV decoder puts where the bytes are not in the file's encoding.
_UNDECODABLE = "\U0010fffe"
_MARK_UNDECODABLE = "credit-intake-mark-undecodable"
codecs.register_error(_MARK_UNDECODABLE, lambda exc: (_UNDECODABLE, exc.end))
_DELIMITER_SAMPLE_LINES = 20


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
        self.encoding = self._detect(head)
        self._line_count: int | None = None
        self.delimiter = self._delimiter()

    def _detect(self, head: bytes) -> str:
        """The encoding, from a window of the file: never the whole file (a backfill CSV may be gigabytes).

        UTF-8 and GBK/GB18030 read ASCII alike, so only the bytes from the first non-ASCII one on can tell
        them apart: an ASCII stretch is skipped (a byte scan, ~1 GB/s, nothing kept), then
        ``CSV_DETECT_BYTES`` from there are decoded incrementally as UTF-8, else GB18030. A file that
        changes encoding after the window is stopped where it does, with the line named (``_lines``).
        """
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            candidates = ["utf-16"]
        elif head.startswith(codecs.BOM_UTF8):
            candidates = ["utf-8-sig"]
        else:
            candidates = ["utf-8-sig", "gb18030"]
        fileobj = self.fileobj
        fileobj.seek(0)
        start = 0
        window = b""
        step = min(_CHUNK * 4, CSV_DETECT_BYTES)
        while chunk := fileobj.read(step):
            if b"\x00" in chunk and candidates != ["utf-16"]:
                raise UploadError("文件含有二进制内容（空字符），不是 CSV 文本文件。")
            if candidates == ["utf-8-sig", "gb18030"] and chunk.isascii():
                start += len(chunk)
                continue
            window = chunk + fileobj.read(max(CSV_DETECT_BYTES - len(chunk), 0))
            break
        at_end = not fileobj.read(1)
        fileobj.seek(0)
        if not window:
            return candidates[0]  # ASCII only (or empty): any of them reads it
        for encoding in candidates:
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                if start == 0:
                    text = decoder.decode(window, final=at_end)
                else:  # the window starts on a character boundary: everything before it is ASCII
                    text = codecs.getincrementaldecoder(encoding.removesuffix("-sig"))().decode(window, final=at_end)
            except UnicodeDecodeError:
                continue
            if "\x00" in text:
                raise UploadError("文件含有二进制内容（空字符），不是 CSV 文本文件。")
            return encoding
        raise UploadError(
            "无法识别 CSV 文件的编码：请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”，或 GBK 编码的 CSV 后再上传。"
        )

    def _count_lines(self) -> int:
        """Lines in the file (for the progress estimate), counted in a byte stream when asked."""
        fileobj, lines, last = self.fileobj, 0, b""
        fileobj.seek(0)
        if self.encoding == "utf-16":
            decoder = codecs.getincrementaldecoder(self.encoding)()
            last_text = ""
            while chunk := fileobj.read(_CHUNK * 16):
                text = decoder.decode(chunk)
                lines += text.count("\n")
                last_text = text or last_text
            fileobj.seek(0)
            return lines + (1 if last_text and not last_text.endswith("\n") else 0)
        # UTF-8 and GB18030 never use the byte 0x0A inside a multi-byte character.
        while chunk := fileobj.read(_CHUNK * 16):
            lines += chunk.count(b"\n")
            last = chunk
        fileobj.seek(0)
        return lines + (1 if last and not last.endswith(b"\n") else 0)

    def _delimiter(self) -> str:
        """Comma, tab (Excel's “Unicode text”) or semicolon (Excel in some locales), whichever the first
        lines hold most of; a tie is a comma. Several lines, so a title line above the table does not decide."""
        sample = "".join(self._lines(limit=_DELIMITER_SAMPLE_LINES))
        counts = {delimiter: sample.count(delimiter) for delimiter in (",", "\t", ";")}
        return max(counts, key=lambda d: (counts[d], d == ","))

    def _lines(self, limit=None):
        self.fileobj.seek(0)
        # Bytes the decided encoding cannot decode become a marker instead of an exception: the wrapper
        # decodes ahead of the lines handed out, so only the marker tells which line holds them, and
        # every line before it is still read.
        wrapper = io.TextIOWrapper(self.fileobj, encoding=self.encoding, errors=_MARK_UNDECODABLE, newline="")
        try:
            for number, line in enumerate(wrapper, start=1):
                if _UNDECODABLE in line:
                    shown = "UTF-8" if self.encoding.startswith("utf-8") else self.encoding.upper()
                    raise UploadError(
                        f"第{number}行附近的字符不是 {shown} 编码（文件前部按 {shown} 识别，后面混入了其他编码的内容）："
                        "请在 Excel 或 WPS 中把整个文件另存为“CSV UTF-8（逗号分隔）”后再导入。"
                    )
                yield line
                if limit and number >= limit:
                    return
        finally:
            wrapper.detach()

    def prescan(self):
        if self._line_count is None:
            self._line_count = self._count_lines()
        return self._line_count, {}

    def close(self) -> None:
        pass

    def rows(self, *, with_merges: bool = True) -> Iterator[RawRow]:
        reader = csv.reader(self._lines(), delimiter=self.delimiter)
        number = 0
        try:
            for values in reader:
                number += 1
                yield RawRow(number, [v if v != "" else None for v in values])
        except csv.Error as exc:
            raise UploadError(f"第{number + 1}行附近 CSV 格式有误（{csv_error_reason(exc)}）。") from exc


# --- the one entry point -------------------------------------------------------------


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

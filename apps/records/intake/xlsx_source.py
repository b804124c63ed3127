"""The .xlsx reader: straight from the zip with the standard library's expat pull parser, one ``<row>`` at a
time (cleared as soon as it is read), every part opened through the zip-bomb guards of ``guards.py``.

This is the ``data_only`` view of the workbook: a formula's cached value is used, a formula without one is a
problem for that cell, error values (``#N/A``) are problems too. Merged cells: only the top-left cell carries
the value, the others are empty (and a required field left empty that way says so). The shared-strings
table stays within its memory budget (``shared_strings.py``).
"""

import logging
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, XMLPullParser

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
from .rows import CHUNK, OLE_MAGIC, ZIP_MAGIC, RawRow
from .shared_strings import SharedStrings

logger = logging.getLogger(__name__)

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

    def __init__(self, fileobj, limits: Limits | None = None):
        """``limits`` None: the settings' (``Limits.current()``); the reader process is given them instead."""
        self.fileobj = fileobj
        fileobj.seek(0)
        head = fileobj.read(8)
        fileobj.seek(0)
        if not head:
            raise UploadError("文件是空的（0 字节），请选择填好数据的文件。")
        if head.startswith(OLE_MAGIC):
            raise UploadError(
                "文件扩展名是 .xlsx，但实际是旧版 Excel（.xls）或设置了打开密码的工作簿：请在 Excel 或 WPS 中去掉密码、“另存为” .xlsx 后再上传。"
            )
        if not head.startswith(ZIP_MAGIC):
            raise UploadError(
                "文件扩展名是 .xlsx，但内容不是 Excel 工作簿（可能是改了扩展名的其他文件，或文件已损坏）：请在 Excel 或 WPS 中打开后“另存为” .xlsx。"
            )
        # Zip-bomb guards (guards.py): the directory first, nothing inflated yet; every part is then
        # opened with hard caps on what it inflates to.
        self.limits = limits or Limits.current()
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
            self._iter_shared_strings() if self._strings_path else None,
            self.limits.strings_memory_bytes,
            self.limits.spill_dir,
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
            while chunk := handle.read(CHUNK):
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

    def select_path(self, path: str, prescanned: tuple[int, dict] | None = None) -> None:
        """Select the sheet stored at ``path`` (as another reader of the same file chose it), with that
        reader's ``prescan()`` when it has one, so it is not scanned again."""
        self.sheet = next(s for s in self.sheets if s.path == path)
        if prescanned is not None:
            self._prescanned[path] = prescanned

    def prescanned(self) -> tuple[int, dict] | None:
        """The current sheet's ``prescan()`` if it has been made (nothing is read here)."""
        return self._prescanned.get(self.sheet.path)

    def sheet_bytes(self) -> int:
        """The current sheet's XML inflated, as the zip directory declares it (nothing is read here)."""
        return self.zip.getinfo(self.sheet.path).file_size

    # rows

    def prescan(self) -> tuple[int, dict[int, list[tuple[int, int, str]]]]:
        """Row count and merged ranges of the current sheet (``<mergeCells>`` follow the data, so a first pass finds them).

        A byte scan of the decompressed stream: no XML tree, flat memory.
        """
        if self.sheet.path in self._prescanned:
            return self._prescanned[self.sheet.path]
        rows, merges, carry = 0, {}, b""
        with open_part(self.zip, self.sheet.path, self.limits.member_bytes, self.limits) as handle:
            while chunk := handle.read(CHUNK * 4):
                buffer = carry + chunk
                cut = buffer.rfind(b">") + 1
                # Only a tag cut in two is carried over; a longer stretch without ">" holds no tag we count.
                carry, buffer = buffer[cut:][-CHUNK:], buffer[:cut]
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
            while chunk := handle.read(CHUNK):
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

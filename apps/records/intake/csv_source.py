"""The .csv reader: UTF-8 (with or without BOM), GBK/GB18030 or UTF-16, detected from a window starting at
the first non-ASCII byte and decoded incrementally as it is read; comma, tab or semicolon separated."""

import codecs
import csv
import io
from collections.abc import Iterator

from .guards import (
    UploadError,
)
from .rows import CHUNK, OLE_MAGIC, ZIP_MAGIC, RawRow

# How much of a CSV decides its encoding (from its first non-ASCII byte on): one incremental decode of
# a window, not of the whole file.
CSV_DETECT_BYTES = 1 << 20

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
        if head.startswith(ZIP_MAGIC):
            raise UploadError("文件扩展名是 .csv，但内容是 Excel 工作簿：请把扩展名改为 .xlsx 后再上传。")
        if head.startswith(OLE_MAGIC):
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
        step = min(CHUNK * 4, CSV_DETECT_BYTES)
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
            while chunk := fileobj.read(CHUNK * 16):
                text = decoder.decode(chunk)
                lines += text.count("\n")
                last_text = text or last_text
            fileobj.seek(0)
            return lines + (1 if last_text and not last_text.endswith("\n") else 0)
        # UTF-8 and GB18030 never use the byte 0x0A inside a multi-byte character.
        while chunk := fileobj.read(CHUNK * 16):
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

"""Guarded reading of .xlsx packages: a zip bomb is refused before it costs memory.

An .xlsx is a zip of XML parts. A hostile one is small on disk and huge inflated (a 1 MB file whose
``workbook.xml`` inflates to 1 GB; one cell of 1 GB; a 1.5 GB shared-strings table in 3.3 MB). Every
reader of spreadsheets (record uploads, the commitments import, batch credit checks, the provincial
grade import) reads through ``XlsxSource`` in ``xlsx_source.py`` (``read_sheet`` / ``open_table``), which uses
the three guards here:

* ``check_member_count`` and ``check_package`` — the zip's directories only, nothing inflated: the
  member count from the end record (before ``zipfile`` builds an object per member), then each
  member's declared inflated size and compression ratio. Cheap enough for the web request, which runs it before anything else.
* ``open_part`` — one part opened with hard caps while it inflates: the inflated bytes (the declared
  size is checked first; Python's zipfile never yields more than it, the count here is kept anyway)
  and the longest stretch between two ``<``. That stretch bounds every text node and every tag, so
  one 1 GB cell is stopped after a few hundred KB instead of being gathered by the XML parser.
* ``cell_too_long`` — the exact limit on a cell's characters, the cell named (the readers check each value).

The limits are settings (``SPREADSHEET_*``, see ``.env.example``); ``Limits.current()`` reads them.
"""

import struct
from dataclasses import dataclass

from django.conf import settings

_MB = 1024 * 1024
# Parts this small are never a bomb whatever their ratio (Apache POI's ZipSecureFile grants 100 KB).
_RATIO_GRACE_BYTES = _MB
# workbook.xml and the relationship parts are parsed whole; they list about one entry per member,
# a few hundred bytes each in every real workbook, so this per member is generous.
_STRUCTURE_BYTES_PER_MEMBER = 4096
# Bytes per character in the XML of a cell at worst (an escape such as ``_x000D_`` or ``&quot;``),
# plus room for the tag around it.
_BYTES_PER_CHAR = 8
_TAG_ROOM = 4096
# Excel's own limits: 16,384 columns; elements in one row (cell, value, formula, rich-text runs)
# or in one shared string beyond this mean a hostile file, and the open row is held until it ends.
EXCEL_MAX_COLUMNS = 16_384
MAX_ELEMENTS_PER_ROW = EXCEL_MAX_COLUMNS * 8

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF


class UploadError(Exception):
    """The file cannot be read (or cannot be read as this record type); the message is for the clerk."""

    def __init__(self, *messages: str):
        self.messages = [m for m in messages if m]
        super().__init__("；".join(self.messages))

    def __reduce__(self):
        # Rebuilt from its messages when it crosses a process (the .xlsx reader process, xlsx_process.py):
        # the default would pass the joined text as one message.
        return (type(self), tuple(self.messages), self.__dict__)


class SpreadsheetRefused(UploadError):
    """A limit of this module was hit. Treated as a damaged file: refused in the upload form; in the
    worker the import stops there (rows stored before it are kept and said so, as for any damage)."""


REBUILD = "请在 Excel 或 WPS 中打开后“另存为” .xlsx 再上传；如确有这么多数据，请拆分成多个文件。"


@dataclass(frozen=True)
class Limits:
    members: int
    member_bytes: int  # any one part, inflated (worksheets are read row by row)
    shared_strings_bytes: int  # the shared-strings table inflated (bounds its parse time and spill file)
    ratio: int
    cell_chars: int
    # Memory the shared-strings table may hold; the rest spills to a temporary file (shared_strings.py).
    strings_memory_bytes: int = 32 * _MB
    # Where spilled shared strings go (FILE_UPLOAD_TEMP_DIR; None: the system's temporary folder). Carried
    # here so that the reader process (xlsx_process.py) never needs Django's settings.
    spill_dir: str | None = None

    @classmethod
    def current(cls) -> "Limits":
        return cls(
            members=settings.SPREADSHEET_MAX_MEMBERS,
            member_bytes=settings.SPREADSHEET_MAX_MEMBER_MB * _MB,
            shared_strings_bytes=settings.SPREADSHEET_MAX_SHARED_STRINGS_MB * _MB,
            ratio=settings.SPREADSHEET_MAX_RATIO,
            cell_chars=settings.SPREADSHEET_MAX_CELL_CHARS,
            # int(): a test may set a fraction of a MB to make a small table spill.
            strings_memory_bytes=int(settings.SPREADSHEET_SHARED_STRINGS_MEMORY_MB * _MB),
            spill_dir=getattr(settings, "FILE_UPLOAD_TEMP_DIR", None),
        )

    @property
    def structure_bytes(self) -> int:
        return min(self.member_bytes, self.members * _STRUCTURE_BYTES_PER_MEMBER)

    @property
    def run_bytes(self) -> int:
        return self.cell_chars * _BYTES_PER_CHAR + _TAG_ROOM


def _shown(name: str) -> str:
    return name if len(name) <= 80 else name[:77] + "…"


def _mb(size: int) -> str:
    return f"{size / _MB:,.0f} MB" if size >= _MB else f"{size / 1024:,.0f} KB"


def declared_member_count(fileobj) -> int | None:
    """The member count in the zip's end record (read from the file's tail), or None without one.

    Read before ``zipfile.ZipFile`` builds an object per central-directory entry. Above 65,534 the
    field says 0xFFFF (a ZIP64 archive), which is already more than any workbook has.
    """
    fileobj.seek(0, 2)
    size = fileobj.tell()
    start = max(0, size - _EOCD_SIZE - _MAX_COMMENT)
    fileobj.seek(start)
    tail = fileobj.read()
    fileobj.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        return None
    _sig, _disk, _cd_disk, _on_disk, total, _cd_size, _cd_offset, _comment = struct.unpack(
        "<4s4H2LH", tail[at : at + _EOCD_SIZE]
    )
    return total


def check_member_count(fileobj, limits: Limits) -> None:
    count = declared_member_count(fileobj)
    if count is not None and count > limits.members:
        shown = "超过 65,000" if count == 0xFFFF else f"{count:,}"
        raise SpreadsheetRefused(
            f"文件不是正常的 Excel 工作簿：压缩包中有 {shown} 个部件，超过上限 {limits.members:,} 个（可能是恶意构造的文件）。"
            + REBUILD
        )


def check_package(archive, limits: Limits) -> None:
    """Refuse a workbook whose zip directory promises too much: members, inflated sizes, compression ratio."""
    infos = archive.infolist()
    if len(infos) > limits.members:
        raise SpreadsheetRefused(
            f"文件不是正常的 Excel 工作簿：压缩包中有 {len(infos):,} 个部件，超过上限 {limits.members:,} 个。" + REBUILD
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise SpreadsheetRefused(
                "工作簿的内容已加密（设置了打开密码）：请在 Excel 或 WPS 中去掉密码后另存为 .xlsx 再上传。"
            )
        check_member(info, limits.member_bytes, limits)


def check_member(info, cap: int, limits: Limits) -> None:
    size = info.file_size
    if size > cap:
        raise SpreadsheetRefused(
            f"文件不是正常的 Excel 工作簿：其中的部件“{_shown(info.filename)}”解压后有 {_mb(size)}，"
            f"超过上限 {_mb(cap)}（可能是“压缩炸弹”）。" + REBUILD
        )
    if size > _RATIO_GRACE_BYTES and size > limits.ratio * max(info.compress_size, 1):
        ratio = size / max(info.compress_size, 1)
        raise SpreadsheetRefused(
            f"文件不是正常的 Excel 工作簿：其中的部件“{_shown(info.filename)}”压缩比为 {ratio:,.0f}:1，"
            f"超过上限 {limits.ratio}:1（正常工作簿远低于此，可能是“压缩炸弹”）。" + REBUILD
        )


class GuardedPart:
    """A zip member being inflated, refused as soon as it passes ``cap`` bytes or a run of ``run_cap``
    bytes without ``<`` (one text node or tag: a cell far over the cell limit).

    Interior runs of one read are shorter than the read, so only runs across reads are counted; the
    readers read at most 256 KB at a time, below ``run_cap`` for any sensible cell limit.
    """

    def __init__(self, raw, name: str, cap: int, limits: Limits):
        self._raw, self._name, self._cap, self._limits = raw, name, cap, limits
        self._run_cap = limits.run_bytes
        self._total = 0
        self._run = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if not data:
            return data
        self._total += len(data)
        if self._total > self._cap:
            raise SpreadsheetRefused(
                f"文件不是正常的 Excel 工作簿：其中的部件“{_shown(self._name)}”解压后超过上限 {_mb(self._cap)}，已停止读取（可能是“压缩炸弹”）。"
                + REBUILD
            )
        first = data.find(b"<")
        if first < 0:
            self._run += len(data)
        else:
            self._run += first
            if self._run <= self._run_cap:
                self._run = len(data) - data.rfind(b"<") - 1
        if self._run > self._run_cap:
            raise SpreadsheetRefused(
                f"文件中“{_shown(self._name)}”有一段连续 {_mb(self._run)} 以上的内容没有分隔（如一个超长的单元格），"
                f"超过单元格长度上限 {self._limits.cell_chars:,} 个字符，已停止读取：文件可能已损坏或被恶意构造。"
            )
        return data

    def close(self):
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_part(archive, name: str, cap: int, limits: Limits) -> GuardedPart:
    """Open member ``name`` for reading with at most ``cap`` inflated bytes (its declared size checked first)."""
    info = archive.getinfo(name)
    check_member(info, cap, limits)
    return GuardedPart(archive.open(info), name, cap, limits)


def cell_too_long(where: str, length: int, limits: Limits) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        f"{where}：单元格内容有 {length:,} 个字符，超过上限 {limits.cell_chars:,} 个字符（Excel 单元格最多 32,767 个字符），"
        "文件可能已损坏或被恶意构造。"
    )


def too_many_elements(where: str) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        f"{where}的内容超过 Excel 的上限（一行最多 {EXCEL_MAX_COLUMNS:,} 列），已停止读取：文件可能已损坏或被恶意构造。"
    )

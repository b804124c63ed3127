"""What every spreadsheet reader shares: the limits an input sets, the checks that need no reading, the raw row."""

import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from django.conf import settings

from .guards import (
    UploadError,
)

ALLOWED_EXTENSIONS = (".xlsx", ".csv")
# How a file starts whatever its name says: a zip (an .xlsx), an OLE compound file (an old .xls).
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 1 << 16

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

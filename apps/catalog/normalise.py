"""Turning what people type, paste or export into clean values.

Shared by the web form, the spreadsheet upload and the API so the three can
never disagree about what a cell means.
"""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

# Excel counts days from 1899-12-30 (its 1900 leap-year bug is folded into the epoch).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Serials from 1950 to 2200: a bare number outside this is not a date someone meant.
_SERIAL_MIN, _SERIAL_MAX = 18264, 109574
OPEN_ENDED = datetime.date(2099, 12, 31)
OPEN_ENDED_WORDS = {"长期", "长期有效", "永久", "永久有效", "无期限", "无固定期限"}

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u2060"), None)
_SPACES = re.compile(r"\s+")
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
MULTI_SEPARATORS = re.compile(r"[;；,，、/|]+")


class ValueProblem(ValueError):
    """A cell that cannot be read as its field's type; the message is for the clerk."""


def clean_text(value) -> str:
    """Trim, drop zero-width characters, collapse runs of whitespace.

    Full-width punctuation inside names is kept on purpose: registered Chinese
    names use full-width brackets, and folding them would stop names matching
    the registry.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel hands integers back as floats: 123.0 → "123"
    text = str(value).translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", text).strip()


def fold(value) -> str:
    """Full-width to half-width and no spaces at all: for codes, enumerations, dates, numbers."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", clean_text(value)))


def header_key(header) -> str:
    """Header matching is tolerant of brackets, spaces, case and a trailing '*'."""
    text = fold(header).lower().rstrip("*")
    return re.sub(r"[()\[\]【】（）:：*_\-]", "", text)


def parse_date(value, *, open_ended=False) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(value)
    text = fold(value)
    if open_ended and text in OPEN_ENDED_WORDS:
        return OPEN_ENDED
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _from_serial(float(text))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise ValueProblem(f"“{clean_text(value)}”不是有效日期") from None
    hint = "，长期有效填“长期”或 2099/12/31" if open_ended else ""
    raise ValueProblem(f"“{clean_text(value)}”不是可识别的日期，请填写如 2024-09-27{hint}")


def _from_serial(number: float) -> datetime.date:
    if not _SERIAL_MIN <= number <= _SERIAL_MAX:
        raise ValueProblem(f"“{number:g}”不是有效日期")
    return EXCEL_EPOCH + datetime.timedelta(days=int(number))


def parse_decimal(value, *, places: int | None) -> Decimal:
    if isinstance(value, bool):
        raise ValueProblem("应为数字")
    text = fold(value).replace("万元", "").replace("万", "").replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueProblem(f"“{clean_text(value)}”不是数字（金额单位为万元）") from None
    if not number.is_finite():
        raise ValueProblem(f"“{clean_text(value)}”不是数字")
    if number < 0:
        raise ValueProblem("金额不能为负数")
    if places is not None:
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise ValueProblem(f"金额最多保留{places}位小数（单位为万元）")
    return number


def split_multi(value) -> list[str]:
    return [part for part in MULTI_SEPARATORS.split(fold(value)) if part]

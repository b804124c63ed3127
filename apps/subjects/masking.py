"""Personal numbers inside free text: resident ID numbers and mobile numbers, masked for every public output.

A clerk types ``赵六（身份证371083198808088888）`` into 行政相对人名称, or a phone
number into 违法事实; the ID field is masked at intake, free text is not. Every
public page, public API answer, credit report and public export passes its
names, document numbers and free-text values through ``mask_personal_numbers``
(the template filter ``mask_personal``, the serializer field ``MaskedCharField``,
the report's ``public_snapshot``), and the intake warns the clerk through
``personal_numbers``.

What counts as a number, matched on an NFKC-folded copy of the text (full-width
digits and spaces fold to ASCII, character by character) while the rest of the
text stays as written:

* digit groups may be split by one space, tab, hyphen or dash between any two
  digits (``371083 19900101 1235``, ``139-1234-5678``, full-width ``　``);
* a number is bounded by non-digits only: letters and CJK characters may touch
  it (``ID371083199001011235``, ``身份证371083…``, ``电话13812345678``);
* 18 characters (17 digits and a digit or X/x): an ID number when it starts
  with a province digit (1–8; no province code starts with 0 or 9, which keeps
  numeric USCCs of enterprises, ``91…``, out) and positions 7–14 look like a
  birth date, or its GB 11643 check digit holds and it is no valid USCC.
  Masked ``371083********123X``: region and last four kept (DOMAIN.md §2);
* 15 digits (the pre-1999 card) with a province digit first and a plausible
  YYMMDD at positions 7–12: masked ``371083******123``;
* 11 digits ``1[3-9]…``, optionally after ``+86`` / ``0086`` / ``86``: a mobile
  number, masked ``138****5678`` (the prefix kept as written). Landlines
  (``0631-6651234``) and shorter numbers stay.

When in doubt the number is masked: a 15-digit 工商注册号 whose middle happens
to read as a date loses its middle digits on public pages, which costs less
than a person's number in the open. Numbers glued into longer digit runs (a
20-digit commitment code, a 19-digit bank card) are not split apart.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q
from stdnum.cn import ric as stdnum_ric

from .codes import USCC_ALPHABET, uscc_check_char

ID_KIND = "身份证号码"
MOBILE_KIND = "手机号码"

# Between two digits of one number (in the folded copy: U+3000 and U+00A0 are a space there, U+FF0D a
# hyphen-minus): one space, tab, hyphen or dash.
_SEP = r"[ \t\-\u2010-\u2015\u2212]"
_ID18 = rf"(?<![0-9])[0-9](?:{_SEP}?[0-9]){{16}}{_SEP}?[0-9Xx](?![0-9])"
_ID15 = rf"(?<![0-9])[0-9](?:{_SEP}?[0-9]){{14}}(?![0-9])"
_MOBILE = rf"(?<![0-9])(?:(?:\+|00)?86{_SEP}?)?(?P<mobile>1[3-9](?:{_SEP}?[0-9]){{9}})(?![0-9])"
_NUMBERS = re.compile(rf"(?P<id18>{_ID18})|(?P<id15>{_ID15})|{_MOBILE}")
_MOBILES = re.compile(_MOBILE)
_SEPARATORS = re.compile(_SEP)
_PROVINCE_DIGITS = "12345678"


@dataclass(frozen=True)
class PersonalNumber:
    kind: str  # ID_KIND or MOBILE_KIND
    start: int  # position in the text as written
    end: int
    masked: str


def _fold_table() -> dict[int, str]:
    """Every character NFKC turns into one character a number is made of (a digit, X, +, a space or a hyphen).

    Full-width ``３`` and ``Ｘ``, the ideographic space, mathematical and superscript digits, ``①``…
    Folding one character into one keeps every position of the text as written, so the folded copy
    is matched and the original is masked at the same places. (A character NFKC turns into several,
    such as ``⑩`` → ``10``, is left alone.)
    """
    wanted = set("0123456789Xx+- \t")
    blocks = [
        (0x00A0, 0x0100),
        (0x2000, 0x2190),
        (0x2460, 0x2500),
        (0x3000, 0x3001),
        (0xFE50, 0xFE70),
        (0xFF00, 0xFF70),
        (0x1D7CE, 0x1D800),
        (0x1FBF0, 0x1FBFA),
    ]
    table = {}
    for first, last in blocks:
        for code in range(first, last):
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and folded in wanted:
                table[code] = folded
    return table


_FOLD = _fold_table()


def _class(codes) -> str:
    """A bracket-expression body for code points, consecutive ones as ranges (a short class is a fast one).

    A hyphen goes last, where PostgreSQL and Python both read it as itself."""
    codes = sorted(set(codes))
    hyphen = ord("-") in codes
    codes = [c for c in codes if c != ord("-")]
    parts, start = [], 0
    for i in range(1, len(codes) + 1):
        if i == len(codes) or codes[i] != codes[i - 1] + 1:
            first, last = codes[start], codes[i - 1]
            parts.append(chr(first) if first == last else f"{chr(first)}-{chr(last)}")
            start = i
    return "".join(parts) + ("-" if hyphen else "")


def _long_number_sql_regex() -> str:
    """Eleven digits in a row, one separator allowed between two, on the text as written: every character
    the fold turns into a digit or a separator is in its classes, so it finds every value the masking
    changes (and more)."""
    digits = _class([*map(ord, "0123456789"), *(c for c, f in _FOLD.items() if f.isdigit())])
    separators = _class(
        [*map(ord, " \t-"), *(c for c, f in _FOLD.items() if f in " \t-"), *range(0x2010, 0x2016), 0x2212]
    )
    return f"[{digits}]([{separators}]?[{digits}]){{10}}"


# Public filters that match text by substring decline the rows this finds for a term holding a digit, so
# masked digits cannot be probed one query at a time (PostgreSQL and SQLite's REGEXP read it alike).
LONG_NUMBER_SQL_REGEX = _long_number_sql_regex()
# The same cheap first look on the text as written: most values (names, document numbers, dates,
# amounts) stop here, before any folding.
_MAYBE = re.compile(LONG_NUMBER_SQL_REGEX)


def _birth_plausible(year: int, month: int, day: int) -> bool:
    # Loose on purpose: a mistyped day (0231) is still somebody's number.
    return 1850 <= year <= datetime.date.today().year and 1 <= month <= 12 and 1 <= day <= 31


def _is_uscc(code: str) -> bool:
    return all(c in USCC_ALPHABET for c in code) and uscc_check_char(code[:17]) == code[17]


def _id18(code: str) -> bool:
    if code[0] not in _PROVINCE_DIGITS:
        return False
    if _birth_plausible(int(code[6:10]), int(code[10:12]), int(code[12:14])):
        return True
    return stdnum_ric.calc_check_digit(code) == code[17] and not _is_uscc(code)


def _id15(code: str) -> bool:
    return code[0] in _PROVINCE_DIGITS and _birth_plausible(1900 + int(code[6:8]), int(code[8:10]), int(code[10:12]))


def _mask_id(code: str) -> str:
    if len(code) == 18:
        return f"{code[:6]}{'*' * 8}{code[14:]}"
    return f"{code[:6]}{'*' * 6}{code[12:]}"


def _mobile(match: re.Match) -> tuple[str, int, int, str]:
    digits = _SEPARATORS.sub("", match.group("mobile"))
    return MOBILE_KIND, match.start("mobile"), match.end("mobile"), f"{digits[:3]}****{digits[7:]}"


def _found(folded: str):
    """(kind, start, end, masked) in ``folded`` positions, left to right."""
    for match in _NUMBERS.finditer(folded):
        group = "id18" if match.group("id18") else "id15" if match.group("id15") else None
        if group is None:
            yield _mobile(match)
            continue
        code = _SEPARATORS.sub("", match.group(group)).upper()
        if (_id18 if group == "id18" else _id15)(code):
            yield ID_KIND, match.start(), match.end(), _mask_id(code)
        else:
            # Not an ID number, but a mobile number may sit inside what looked like one
            # (``371083 13812345678 9``): look again for that alone.
            yield from map(_mobile, _MOBILES.finditer(folded, match.start(), match.end()))


def personal_numbers(text) -> list[PersonalNumber]:
    """Every ID or mobile number in ``text``, with its place in the text as written and its masked form."""
    if not text or not isinstance(text, str):
        return []
    if not _MAYBE.search(text):
        return []
    folded = text if text.isascii() else text.translate(_FOLD)
    return [PersonalNumber(*found) for found in _found(folded)]


def public_contains(field: str, term: str) -> Q:
    """``field`` contains ``term`` as the public reads the field.

    A term holding a digit does not match inside a value that carries a long number (masked
    for the public): otherwise ``身份证37108319880`` finding a row or not would tell the
    hidden digits one by one. Coarser than the masking (any eleven digits), never looser.
    """
    q = Q(**{f"{field}__icontains": term})
    if any(char.isdigit() for char in term):
        q &= ~Q(**{f"{field}__regex": LONG_NUMBER_SQL_REGEX})
    return q


def mask_personal_numbers(text) -> str:
    """``text`` with every ID and mobile number masked; everything else exactly as written.

    Idempotent: a masked number holds ``*`` and is never matched again.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    found = personal_numbers(text)
    if not found:
        return text
    parts, last = [], 0
    for number in found:
        parts += [text[last : number.start], number.masked]
        last = number.end
    parts.append(text[last:])
    return "".join(parts)

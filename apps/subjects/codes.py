"""Identifier checks per GB 32100-2015 (USCC) and GB 11643-1999 (ID number).

python-stdnum provides the check-digit arithmetic, but its validators fall
short of the standard as DOMAIN.md §2 reads it, so they are wrapped here:

* ``stdnum.cn.uscc.validate`` requires positions 1–8 to be digits, which
  rejects the registration-authority codes ``A``, ``N`` and ``Y`` the
  standard allows (e.g. 农民专业合作社 codes starting ``N``);
* it neither folds full-width input nor says *why* a code is wrong;
* it does not look at the position-17 organisation-code check (GB 11714),
  which the platform reports as a warning (疑似错码), not an error;
* ``stdnum.cn.ric.validate`` rejects ID numbers whose address code is not in
  today's division list, but retired codes stay valid on issued cards (and for
  an unknown county in a known province it raises ``KeyError`` instead);
* ``str.isdigit()`` and ``int()`` accept other scripts' digits (e.g. "३"),
  which NFKC does not fold, so digits are matched as ASCII explicitly.

``tests/test_codes.py`` pins each of those gaps.
"""

import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass, field

from stdnum import numdb
from stdnum.cn import ric as stdnum_ric
from stdnum.exceptions import ValidationError as StdnumValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REGISTRATION_AUTHORITIES = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "市场监管（工商）",
    "A": "中央军委改革和编制办公室",
    "N": "农业农村",
    "Y": "其他",
}
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^(i-1) mod 31, GB 32100
_USCC_VALUE = {char: value for value, char in enumerate(USCC_ALPHABET)}
_USCC_CHARS = frozenset(USCC_ALPHABET)
# GB 11714 character values (digits, then A=10 … Z=35), looked up instead of computed per character.
_ORG_CODE_VALUE = {
    char: (int(char) if char.isdigit() else ord(char) - ord("A") + 10)
    for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
}
# 100000 is the code used for central-level registrations; it is not a county.
NATIONAL_REGION_CODE = "100000"

_SEPARATORS = re.compile(r"[\s\-_·.]")
_ID_NUMBER_FORM = re.compile(r"[0-9]{17}[0-9X]")


@dataclass
class CodeCheck:
    code: str
    valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self):
        return {"code": self.code, "valid": self.valid, "errors": self.errors, "warnings": self.warnings}


def normalise_code(raw: str) -> str:
    """Fold full-width characters (NFKC), drop spaces and separators, upper-case.

    Only the *form* of each character changes: a full-width ``９`` becomes
    ``9`` and ``a`` becomes ``A``; a letter is never turned into a digit
    (``O`` stays ``O`` and is then rejected), so a mistyped code is reported,
    not silently repaired.
    """
    if raw is None:
        return ""
    if type(raw) is str and raw.isascii() and raw.isalnum():
        # The usual cell: NFKC leaves ASCII as it is and there is no separator to drop (~1 µs of ~4 saved
        # per code; every subject of an import is checked).
        return raw.upper()
    folded = unicodedata.normalize("NFKC", str(raw))
    return _SEPARATORS.sub("", folded).upper()


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of the first 17 (already valid) characters.

    stdnum's ``calc_check_digit`` computes the same (a test compares the two on
    random codes) but compacts and searches the alphabet per character: ~10 µs,
    half the cost of checking a code, paid for every subject of a large import.
    """
    total = sum(_USCC_VALUE[char] * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[-total % 31]


def org_code_check_char(body: str) -> str:
    """GB 11714 check character for the 8-character organisation-code body."""
    total = 0
    for char, weight in zip(body, ORG_CODE_WEIGHTS, strict=True):
        value = _ORG_CODE_VALUE.get(char)
        if value is None:
            value = int(char) if char.isdigit() else ord(char) - ord("A") + 10
        total += value * weight
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


@functools.lru_cache(maxsize=8192)  # the same few regions answer most rows of an import
def region_name(region_code: str) -> str | None:
    """The division name for a 6-digit code, in any era, or None if unknown."""
    if region_code == NATIONAL_REGION_CODE:
        return "国家级"
    parts = numdb.get("cn/loc").info(region_code)
    info = {k: v for _part, props in parts for k, v in props.items()}
    county = info.get("county")
    if not county:
        return None
    # Entries carry their years of validity, e.g. "[1989-2014]文登市"; a retired code is still a real code.
    return re.sub(r"\[[^\]]*\]", "", county.split(",")[-1])


def check_uscc(raw: str) -> CodeCheck:
    code = normalise_code(raw)
    errors: list[str] = []
    warnings: list[str] = []
    if not code:
        return CodeCheck(code, False, ["统一社会信用代码为空"])
    if len(code) != 18:
        errors.append(f"统一社会信用代码应为18位，实际为{len(code)}位")
    bad_chars = sorted({c for c in code if c not in USCC_ALPHABET}) if not _USCC_CHARS.issuperset(code) else []
    if bad_chars:
        forbidden = "、".join(f"“{c}”" for c in bad_chars)
        errors.append(f"含有不允许的字符{forbidden}（代码不使用字母 I、O、S、V、Z，也不含汉字和符号）")
    if errors:
        return CodeCheck(code, False, errors)

    if code[0] not in REGISTRATION_AUTHORITIES:
        errors.append(f"第1位登记管理部门代码“{code[0]}”无效，应为1–9、A、N、Y")
    if not code[1].isdigit():
        errors.append(f"第2位机构类别代码“{code[1]}”无效，应为数字")
    if not code[2:8].isdigit():
        errors.append(f"第3–8位登记管理机关行政区划码“{code[2:8]}”应为6位数字")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        errors.append("第18位校验码不符，代码可能录入有误")
    if errors:
        return CodeCheck(code, False, errors)

    if region_name(code[2:8]) is None:
        warnings.append(f"第3–8位行政区划码“{code[2:8]}”不在行政区划代码表中（疑似错码）")
    if org_code_check_char(code[8:16]) != code[16]:
        warnings.append("第9–17位组织机构代码的校验码（第17位）不符（疑似错码）")
    return CodeCheck(code, True, [], warnings)


def check_id_number(raw: str, *, today=None) -> CodeCheck:
    """Resident ID number (GB 11643-1999), 18 characters with a mod-11 check.

    Messages name the position, never the digits: they end up on pages and in
    API answers where the number itself may only appear masked.
    """
    code = normalise_code(raw)
    if not code:
        return CodeCheck(code, False, ["身份证号码为空"])
    if len(code) != 18:
        return CodeCheck(code, False, [f"身份证号码应为18位，实际为{len(code)}位"])
    # str.isdigit() also accepts other scripts' digits (e.g. "३"), which NFKC
    # leaves alone and int() happily parses; only ASCII digits are an ID number.
    if not _ID_NUMBER_FORM.fullmatch(code):
        return CodeCheck(code, False, ["身份证号码前17位应为数字，第18位应为数字或X"])
    errors = []
    birth_problem = id_birth_problem(code[6:14], today or datetime.date.today())
    if birth_problem:
        errors.append(birth_problem)
    if stdnum_ric.calc_check_digit(code) != code[17]:
        errors.append("第18位校验码不符，号码可能录入有误")
    return CodeCheck(code, not errors, errors)


def id_birth_problem(digits: str, today: datetime.date) -> str | None:
    """What is wrong with positions 7–14 (YYYYMMDD) of an ID number, or None.

    The staged import checks each distinct birth date of a file with this, so
    its verdicts are the ones ``check_id_number`` gives.
    """
    try:
        birth = stdnum_ric.get_birth_date(f"000000{digits}0000")
    except StdnumValidationError:
        return "第7–14位出生日期不是有效日期"
    if birth > today or birth.year < 1850:
        return "第7–14位出生日期不合理（晚于今天或早于1850年）"
    return None


def mask_id_number(code: str) -> str:
    """371083********123X: region kept, birth date and sequence hidden, last four kept."""
    if len(code) != 18:
        return "*" * len(code)
    return f"{code[:6]}{'*' * 8}{code[14:]}"


def build_uscc(prefix: str, region_code: str, org_body: str) -> str:
    """Compose a valid USCC from its parts (used by demo data, fixtures and tests).

    ``prefix`` is positions 1–2 (e.g. ``"91"``), ``org_body`` the 8-character
    organisation-code body; both check characters are computed.
    """
    first17 = f"{prefix}{region_code}{org_body}{org_code_check_char(org_body)}"
    return first17 + uscc_check_char(first17)

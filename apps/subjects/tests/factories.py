"""Small builders shared by the subject tests."""

from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from apps.subjects.choices import SubjectKind
from apps.subjects.codes import build_uscc, org_code_check_char
from apps.subjects.services import subject_create

ID_NUMBER = "37108319900119123X"
ID_NUMBER_MASKED = "371083********123X"


def id_number(first17: str) -> str:
    return first17 + stdnum_ric.calc_check_digit(first17 + "0")


def uscc(n: int, prefix: str = "91", region: str = "371083") -> str:
    """A valid code, different for every n (digits and letters in the body)."""
    return build_uscc(prefix, region, f"MA{n:06d}")


def suspect_uscc(n: int) -> str:
    """Valid position 18, wrong position-17 organisation-code check: 疑似错码."""
    body = f"MA{n:06d}"
    bad = "1" if org_code_check_char(body) != "1" else "2"
    first17 = f"91371083{body}{bad}"
    return first17 + stdnum_uscc.calc_check_digit(first17)


def broken_uscc(n: int) -> str:
    """Right shape, wrong position-18 check digit: 错码."""
    good = uscc(n)
    return good[:17] + ("1" if good[17] != "1" else "2")


def make_org(name: str, code: str, *, strict: bool = True, **extra):
    return subject_create(kind=SubjectKind.LEGAL, name=name, uscc=code, strict=strict, **extra)


def make_person(name: str = "张三", number: str = ID_NUMBER):
    return subject_create(kind=SubjectKind.PERSON, name=name, id_number=number)

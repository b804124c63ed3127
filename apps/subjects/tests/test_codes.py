"""The identifier rules of DOMAIN.md §2, and where python-stdnum alone falls short."""

import datetime

import pytest
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from apps.subjects.codes import (
    REGISTRATION_AUTHORITIES,
    USCC_ALPHABET,
    build_uscc,
    check_id_number,
    check_uscc,
    mask_id_number,
    normalise_code,
    org_code_check_char,
    region_name,
)

RUSHAN = "371083"  # 乳山市
REAL_CODE = "91350100M000100Y43"  # a published code with letters in the organisation-code body
ID_X = "37108319900119123X"  # valid, check character X


def _with_check18(first17: str) -> str:
    return first17 + stdnum_uscc.calc_check_digit(first17)


def _id(first17: str) -> str:
    return first17 + stdnum_ric.calc_check_digit(first17 + "0")


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


# --- USCC: valid ---------------------------------------------------------------


@pytest.mark.parametrize("authority", sorted(REGISTRATION_AUTHORITIES))
@pytest.mark.parametrize("body", ["12345678", "MA3C7K2P"])
def test_every_registration_authority_is_accepted(authority, body):
    code = build_uscc(f"{authority}1", RUSHAN, body)
    result = check_uscc(code)
    assert result.valid, result.errors
    assert result.warnings == []
    assert result.code == code


def test_authorities_cover_the_standard():
    assert set(REGISTRATION_AUTHORITIES) == set("123456789ANY")


@pytest.mark.parametrize("code", [REAL_CODE, "91110000600037341L", "11371083MB1234562X"])
def test_real_world_codes(code):
    assert check_uscc(code).as_dict() == {"code": code, "valid": True, "errors": [], "warnings": []}


@pytest.mark.parametrize(
    "raw",
    [
        REAL_CODE.lower(),
        _full_width(REAL_CODE),
        _full_width(REAL_CODE.lower()),
        " 9135 0100-M000 100Y43 ",
        "\u300091350100M000100Y43",  # ideographic space before the code
    ],
)
def test_lower_case_full_width_and_separators_are_normalised(raw):
    result = check_uscc(raw)
    assert result.valid, result.errors
    assert result.code == REAL_CODE
    assert result.code.isascii()


# --- USCC: rejected, with a reason ------------------------------------------------


def test_wrong_check_digit():
    wrong = REAL_CODE[:17] + ("4" if REAL_CODE[17] != "4" else "5")
    result = check_uscc(wrong)
    assert not result.valid
    assert result.errors == ["第18位校验码不符，代码可能录入有误"]


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters(letter):
    code = REAL_CODE[:9] + letter + REAL_CODE[10:]
    result = check_uscc(code)
    assert not result.valid
    assert f"“{letter}”" in result.errors[0]
    assert "不使用字母 I、O、S、V、Z" in result.errors[0]


def test_alphabet_has_no_forbidden_letters():
    assert not set("IOSVZ") & set(USCC_ALPHABET)
    assert len(USCC_ALPHABET) == 31


@pytest.mark.parametrize("code", [REAL_CODE[:17], REAL_CODE + "1", "9135"])
def test_wrong_length(code):
    result = check_uscc(code)
    assert not result.valid
    assert result.errors == [f"统一社会信用代码应为18位，实际为{len(code)}位"]


def test_empty_code():
    assert check_uscc("").errors == ["统一社会信用代码为空"]
    assert check_uscc(None).errors == ["统一社会信用代码为空"]


def test_unknown_registration_authority():
    # "B" is in the alphabet and the check digit is right: only position 1 is wrong.
    code = _with_check18("B1" + REAL_CODE[2:17])
    result = check_uscc(code)
    assert not result.valid
    assert result.errors == ["第1位登记管理部门代码“B”无效，应为1–9、A、N、Y"]


def test_letter_in_position_two():
    code = _with_check18("9A" + REAL_CODE[2:17])
    result = check_uscc(code)
    assert not result.valid
    assert result.errors == ["第2位机构类别代码“A”无效，应为数字"]


def test_letter_in_region_code():
    code = _with_check18("9137A083" + REAL_CODE[8:17])
    result = check_uscc(code)
    assert not result.valid
    assert "第3–8位登记管理机关行政区划码" in result.errors[0]


def test_chinese_characters_rejected():
    result = check_uscc("91350100M000100Y4三")
    assert not result.valid
    assert "“三”" in result.errors[0]


# --- O is never read as 0 ------------------------------------------------------------


def test_letter_o_is_not_turned_into_zero():
    typo = REAL_CODE.replace("M000", "M0O0")
    assert normalise_code(typo) == typo
    result = check_uscc(typo)
    assert not result.valid
    assert result.code == typo
    assert "“O”" in result.errors[0]


def test_full_width_o_stays_a_letter():
    assert normalise_code("ｏ") == "O"
    assert normalise_code("〇") == "〇"  # the ideographic zero is not folded to a digit either
    assert not check_uscc(REAL_CODE[:5] + "〇" + REAL_CODE[6:]).valid


# --- warnings (疑似错码): valid, but flagged ----------------------------------------


def test_bad_organisation_code_check_is_a_warning():
    body = "MA3C7K2P"
    good = org_code_check_char(body)
    bad = "1" if good != "1" else "2"
    code = _with_check18(f"91{RUSHAN}{body}{bad}")
    result = check_uscc(code)
    assert result.valid
    assert result.errors == []
    assert result.warnings == ["第9–17位组织机构代码的校验码（第17位）不符（疑似错码）"]


def test_unknown_region_is_a_warning():
    code = build_uscc("91", "379999", "12345678")
    result = check_uscc(code)
    assert result.valid
    assert result.warnings == ["第3–8位行政区划码“379999”不在行政区划代码表中（疑似错码）"]


def test_retired_and_national_region_codes_are_known():
    assert region_name("371081") == "文登市"  # retired 2014, still on older registrations
    assert region_name(RUSHAN) == "乳山市"
    assert region_name("370000") == "山东省"
    assert region_name("100000") == "国家级"
    assert region_name("379999") is None
    assert check_uscc(build_uscc("91", "371081", "12345678")).warnings == []
    assert check_uscc(build_uscc("12", "100000", "40000001")).warnings == []


def test_org_code_check_char_values():
    # GB 11714: weights 3 7 9 10 5 8 4 2, mod 11; 10 → X, 11 → 0; letters count from A = 10.
    assert org_code_check_char("60003734") == "1"
    assert org_code_check_char("M000100Y") == "4"
    assert {org_code_check_char(f"{n:08d}") for n in range(200)} >= {"X", "0"}


# --- the python-stdnum gaps we wrap ---------------------------------------------------


@pytest.mark.parametrize("authority", ["A", "N", "Y"])
def test_stdnum_rejects_letter_authorities_we_accept(authority):
    code = build_uscc(f"{authority}2", RUSHAN, "MA3C7K2P")
    assert stdnum_uscc.is_valid(code) is False
    assert check_uscc(code).valid is True


def test_stdnum_rejects_full_width_we_accept():
    assert stdnum_uscc.is_valid(_full_width(REAL_CODE)) is False
    assert check_uscc(_full_width(REAL_CODE)).valid is True


def test_stdnum_ignores_the_organisation_code_check():
    body = "12345678"
    bad = "1" if org_code_check_char(body) != "1" else "2"
    code = _with_check18(f"91{RUSHAN}{body}{bad}")
    assert stdnum_uscc.is_valid(code) is True
    assert check_uscc(code).warnings


def test_stdnum_ric_rejects_retired_address_code_we_accept():
    # 371081 文登市 was retired in 2014 (now 371003 文登区). stdnum refuses the
    # code for anyone born after 2014, but the address code is where the number
    # was issued, and numbers are not reissued when a division is renamed.
    number = _id("37108120150201123")
    assert stdnum_ric.is_valid(number) is False
    result = check_id_number(number, today=datetime.date(2026, 1, 1))
    assert result.valid, result.errors


def test_stdnum_ric_rejects_address_code_missing_from_the_list_we_accept():
    number = _id("99123419800101123")  # no such province
    assert stdnum_ric.is_valid(number) is False
    assert check_id_number(number).valid


def test_stdnum_ric_crashes_on_unknown_county_in_a_known_province():
    # Not even a False: is_valid() raises KeyError('county'). We never call it.
    number = _id("37999919800101123")
    with pytest.raises(KeyError):
        stdnum_ric.is_valid(number)
    assert check_id_number(number).valid


# --- ID numbers ------------------------------------------------------------------------


def test_id_number_with_x_check():
    result = check_id_number(ID_X)
    assert result.as_dict() == {"code": ID_X, "valid": True, "errors": [], "warnings": []}
    assert check_id_number(ID_X.lower()).code == ID_X
    assert check_id_number(_full_width(ID_X.lower())).valid


def test_id_number_bad_check_digit():
    result = check_id_number(ID_X[:17] + "1")
    assert not result.valid
    assert result.errors == ["第18位校验码不符，号码可能录入有误"]


def test_id_number_bad_birth_date():
    result = check_id_number(_id("37108319901301123"))
    assert not result.valid
    assert result.errors == ["第7–14位出生日期不是有效日期"]


def test_id_number_future_birth_date():
    number = _id("37108320300101123")
    result = check_id_number(number, today=datetime.date(2026, 1, 1))
    assert not result.valid
    assert result.errors == ["第7–14位出生日期不合理（晚于今天或早于1850年）"]


@pytest.mark.parametrize("number", [ID_X[:17], ID_X + "1", "371083900119123"])
def test_id_number_wrong_length(number):
    result = check_id_number(number)
    assert not result.valid
    assert result.errors == [f"身份证号码应为18位，实际为{len(number)}位"]


def test_id_number_letters_or_foreign_digits_rejected():
    assert not check_id_number("37108319900119123A").valid
    # Devanagari digits pass str.isdigit() and int(); they are not an ID number.
    devanagari = "".join(chr(0x0966 + int(c)) if c.isdigit() else c for c in ID_X)
    result = check_id_number(devanagari)
    assert not result.valid
    assert result.errors == ["身份证号码前17位应为数字，第18位应为数字或X"]


def test_id_number_errors_never_quote_the_digits():
    for number in [_id("37108319901301123"), _id("37108320300101123"), ID_X[:17] + "1"]:
        for message in check_id_number(number, today=datetime.date(2026, 1, 1)).errors:
            assert not any(part in message for part in (number[6:14], number[:6], number[14:]))


def test_mask_id_number():
    assert mask_id_number(ID_X) == "371083********123X"
    assert mask_id_number("123") == "***"


def test_own_uscc_check_character_agrees_with_stdnum_on_random_codes():
    import random

    from apps.subjects.codes import uscc_check_char

    rng = random.Random(32100)
    for _ in range(5000):
        first17 = "".join(rng.choice(USCC_ALPHABET) for _ in range(17))
        assert uscc_check_char(first17) == stdnum_uscc.calc_check_digit(first17)

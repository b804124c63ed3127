"""``mask_personal_numbers`` against a hostile corpus: what must be masked, what must stay as written."""

import datetime
import re

import pytest
import time_machine

from apps.subjects.codes import build_uscc
from apps.subjects.masking import (
    ID_KIND,
    LONG_NUMBER_SQL_REGEX,
    MOBILE_KIND,
    mask_personal_numbers,
    personal_numbers,
)


@pytest.fixture(autouse=True)
def frozen():
    # "A plausible birth date" reads against today: a birth year 2026 is plausible only from 2026 on.
    with time_machine.travel(datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


MASKED = [
    # ID numbers, 18 characters
    ("赵六（身份证371083198808088888）", "赵六（身份证371083********8888）"),
    ("371083199001011235", "371083********1235"),
    ("ID371083199001011235", "ID371083********1235"),
    ("身份证号:371083199001011235。", "身份证号:371083********1235。"),
    ("当事人张三371083199001011235无证经营", "当事人张三371083********1235无证经营"),
    ("３７１０８３１９９００１０１１２３５", "371083********1235"),
    ("身份证３７１０８３１９９００１０１１２３Ｘ号", "身份证371083********123X号"),
    ("371083 19900101 1235", "371083********1235"),
    ("371083-19900101-1235", "371083********1235"),
    ("371083\u300019900101\u30001235", "371083********1235"),
    ("371083－19900101－1235", "371083********1235"),
    ("3710 8319 9001 0112 35", "371083********1235"),
    ("(37108319900101123X)", "(371083********123X)"),
    ("37108319900101123x", "371083********123X"),
    ("11010519491231002X", "110105********002X"),
    ("abc11010519491231002Xdef", "abc110105********002Xdef"),
    # a wrong check digit is still somebody's number
    ("371083199001011239", "371083********1239"),
    # 15-digit legacy cards
    ("老身份证371083900101123", "老身份证371083******123"),
    ("371083 900101 123", "371083******123"),
    # mobile numbers
    ("13812345678", "138****5678"),
    ("电话13812345678", "电话138****5678"),
    ("tel:13812345678;", "tel:138****5678;"),
    ("139 1234 5678", "139****5678"),
    ("139-1234-5678", "139****5678"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("86-13812345678", "86-138****5678"),
    ("008613812345678", "0086138****5678"),
    ("（１３８１２３４５６７８）", "（138****5678）"),
    ("手机：19912345678、17712345678", "手机：199****5678、177****5678"),
    (
        "电话\U0001d7cf\U0001d7d1\U0001d7d6\U0001d7cf\U0001d7d0\U0001d7d1\U0001d7d2\U0001d7d3\U0001d7d4\U0001d7d5\U0001d7d6",
        "电话138****5678",
    ),
    ("139\u00a01234\u00a05678", "139****5678"),
    ("139\u20101234\u20105678", "139****5678"),
    ("0631-13812345678", "0631-138****5678"),
    # an ID-looking run that is no ID still hides the mobile inside
    ("371083 13812345678 9", "371083 138****5678 9"),
    # both in one text, the rest untouched
    (
        "当事人赵六（371083199001011235，电话139 1234 5678）于2024年9月27日",
        "当事人赵六（371083********1235，电话139****5678）于2024年9月27日",
    ),
]

KEPT = [
    "乳山市鑫源水产有限公司",
    build_uscc("91", "371083", "MA3C0001"),
    "91371083MA3C00011P",
    "统一社会信用代码91371083MA3D00011P",
    "913710831234567890",  # a numeric enterprise USCC: no province code starts with 9
    build_uscc("12", "371083", "49365123"),  # a numeric USCC of a public body
    "乳市监罚〔2026〕12号",
    "鲁威乳市监处罚〔2024〕1381号",
    "2026-04-01",
    "2024年9月27日至2025年9月26日",
    "20240927-20250926",
    "罚款人民币5000元，没收违法所得1200元。",
    "罚款13,812,345元",
    "0.5",
    "1381234567",  # ten digits: no mobile number
    "138123456789",  # twelve digits
    "12345678901",  # 11 digits not starting 13–19
    "0631-6651234",  # a landline stays
    "400-123-4567",
    "37108320261207000001",  # a commitment code: region, date, serial — 20 digits
    "JY23710830000001",  # a food licence number
    "6222021312345678901",  # a 19-digit bank card is not split into a number
    "371083",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_numbers_are_masked(text, expected):
    assert mask_personal_numbers(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_other_numbers_stay_as_written(text):
    assert mask_personal_numbers(text) == text


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masking_twice_changes_nothing(text, expected):
    assert mask_personal_numbers(mask_personal_numbers(text)) == expected


def test_none_and_non_text():
    assert mask_personal_numbers(None) == ""
    assert mask_personal_numbers(13812345678) == "138****5678"


def test_found_numbers_say_what_and_where_in_the_text_as_written():
    text = "赵六３７１０８３１９９００１０１１２３５，电话139 1234 5678"
    found = personal_numbers(text)
    assert [(n.kind, text[n.start : n.end], n.masked) for n in found] == [
        (ID_KIND, "３７１０８３１９９００１０１１２３５", "371083********1235"),
        (MOBILE_KIND, "139 1234 5678", "139****5678"),
    ]
    assert personal_numbers("乳市监罚〔2026〕12号") == []


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_the_database_look_finds_every_text_the_masking_changes(text, expected):
    """Public substring filters decline rows this regular expression finds: it must find every one masked."""
    assert re.search(LONG_NUMBER_SQL_REGEX, text)

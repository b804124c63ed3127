"""A small county for the portal tests: companies with records in and out of their windows, and persons."""

import datetime

import pytest
import time_machine
from django.core.cache import cache

from apps.records.models import Record
from apps.records.tests.factories import ingest_rows, license_row, penalty_row
from apps.subjects.codes import build_uscc

TODAY = datetime.date(2024, 10, 10)
# Valid resident ID numbers of seeded persons: none may appear unmasked on a public page or API answer.
PERSON_IDS = ["11010519491231002X", "371083198803150013"]
XINYUAN = "乳山市鑫源水产有限公司"
XINYUAN_USCC = build_uscc("91", "371083", "MA3X0001")
OTHER = "威海恒泰建筑工程有限公司"
OTHER_USCC = build_uscc("91", "371083", "MA3X0002")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters live in the shared cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def company(dept, n, name, uscc, **overrides):
    return penalty_row(dept, n, CF_XDR_MC=name, CF_XDR_SHXYM=uscc, **overrides)


def person(dept, n, name, id_number, **overrides):
    return penalty_row(
        dept,
        n,
        CF_XDR_MC=name,
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM=None,
        CF_FRDB=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM=id_number,
        CF_SY=f"经查，当事人（身份证号{id_number}）无证经营。",
        **overrides,
    )


@pytest.fixture
def county(dept_a, dept_b):
    """鑫源: a current penalty, one under objection, one under repair, one past its window, a licence.
    恒泰: one current penalty of dept_b. Two persons with penalties (their ID numbers in the text too)."""
    ingest_rows(
        dept_a,
        [
            company(dept_a, 1, XINYUAN, XINYUAN_USCC),
            company(dept_a, 2, XINYUAN, XINYUAN_USCC),
            company(dept_a, 3, XINYUAN, XINYUAN_USCC),
            company(dept_a, 4, XINYUAN, XINYUAN_USCC, CF_JDRQ="2022-03-01"),
            person(dept_a, 5, "王某甲", PERSON_IDS[0]),
            person(dept_a, 6, "李某乙", PERSON_IDS[1]),
        ],
        today=TODAY,
    )
    ingest_rows(dept_b, [company(dept_b, 7, OTHER, OTHER_USCC)], today=TODAY)
    ingest_rows(
        dept_a, [license_row(dept_a, 1, XK_XDR_MC=XINYUAN, XK_XDR_SHXYM=XINYUAN_USCC)], type_code="license", today=TODAY
    )
    Record.objects.filter(decision_number="乳市监罚〔2024〕2号").update(under_objection=True)
    Record.objects.filter(decision_number="乳市监罚〔2024〕3号").update(under_repair=True)
    old = Record.objects.get(decision_number="乳市监罚〔2024〕4号")
    assert old.publicity_end < TODAY, "the 2022 penalty must be past its window"
    return {"dept_a": dept_a, "dept_b": dept_b}

"""Builders shared by the credit-check tests (plain functions; each test module declares its own fixtures)."""

import datetime

import time_machine

from apps.accounts.models import ApiKey
from apps.lists.models import ListType
from apps.records.tests.factories import PERSON_ID, ingest_rows, penalty_row
from apps.subjects.codes import build_uscc

from .factories import list_entry_row

TODAY = datetime.date(2024, 10, 10)
NOW = datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC)

TAX = "重大税收违法失信主体"  # black, triggers CJ-01…CJ-05, CJ-07, CJ-08, CJ-10
DEBTOR = "失信被执行人"  # black, also CJ-06 and CJ-09
WATCH = "失信行为重点关注对象"  # watch, CJ-05 and CJ-07 only
A_GRADE = "A级纳税人"  # red, JL-01…JL-06
RECOGNISED = ("major_tax_violation", "dishonest_judgment_debtor", "key_attention", "a_grade_taxpayer")


def travel():
    return time_machine.travel(NOW, tick=False)


def make_recogniser(department):
    for list_type in ListType.objects.filter(code__in=RECOGNISED):
        list_type.recognisers.add(department)


def company_code(n: int) -> str:
    return build_uscc("91", "371083", f"MA7C{n:04d}")


def company_name(n: int) -> str:
    return f"乳山市核查测试建材有限公司{n}"


def entry(department, n: int, *, list_type: str = TAX, subject: int | None = None, **overrides) -> dict:
    """A list-entry row; ``subject`` picks the company it is about (default: company ``n``)."""
    who = n if subject is None else subject
    return list_entry_row(
        department,
        n,
        list_type=list_type,
        MD_XDR_MC=company_name(who),
        MD_XDR_SHXYM=company_code(who),
        MD_RDWSH=f"乳核认〔2024〕{n}号",
        **overrides,
    )


def person_entry(department, n: int, *, name: str, id_number: str = PERSON_ID, list_type: str = DEBTOR) -> dict:
    return list_entry_row(
        department,
        n,
        list_type=list_type,
        MD_XDR_MC=name,
        MD_XDR_LB="自然人",
        MD_XDR_SHXYM=None,
        MD_FRDB=None,
        MD_XDR_ZJLX="身份证",
        MD_XDR_ZJHM=id_number,
        MD_LRSY=f"拒不履行生效判决（身份证号 {id_number}）",
        MD_RDWSH=f"（2024）鲁1083执{n}号",
    )


def ingest(department, rows, record_type="list_entry"):
    return ingest_rows(department, rows, type_code=record_type, today=TODAY)


def penalty(department, n: int, *, subject: int, **overrides):
    row = penalty_row(
        department,
        n,
        CF_XDR_MC=company_name(subject),
        CF_XDR_SHXYM=company_code(subject),
        CF_WSH=f"乳市监核罚〔2024〕{n}号",
        **overrides,
    )
    return ingest(department, [row], record_type="penalty")


def issue_key(department, scopes=("credit-check",), name="政务服务大厅综合受理系统"):
    _key, raw = ApiKey.issue(name=name, department=department, scopes=list(scopes))
    return raw

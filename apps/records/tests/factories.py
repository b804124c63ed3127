"""Valid rows in the national template, for tests and benchmarks (override what a test is about), and
``ingest_rows`` to store them through the intake pipeline as a test's data."""

from apps.records.choices import Outcome
from apps.records.services import records_ingest
from apps.subjects.codes import build_uscc


def penalty_row(department, n=1, **overrides):
    row = {
        "CF_XDR_MC": f"乳山市测试商贸有限公司{n}",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": build_uscc("91", "371083", f"MA3D{n:04d}"),
        "CF_FRDB": "张伟",
        "CF_WSH": f"乳市监罚〔2024〕{n}号",
        "CF_WFXW": "销售不合格产品",
        "CF_SY": "经查，当事人销售的产品经抽检不合格。",
        "CF_YJ": "《中华人民共和国产品质量法》第四十九条",
        "CF_CFLB": "罚款;没收违法所得",
        "CF_NR": "罚款人民币5000元，没收违法所得1200元。",
        "CF_NR_FK": "0.5",
        "CF_NR_WFFF": "0.12",
        "CF_JDRQ": "2024-09-27",
        "CF_CFJG": department.name,
        "CF_CFJGDM": department.uscc,
        "CF_SJLY": department.name,
        "CF_SJLYDM": department.uscc,
    }
    row.update(overrides)
    return {k: v for k, v in row.items() if v is not None}


def license_row(department, n=1, **overrides):
    row = {
        "XK_XDR_MC": f"乳山市测试餐饮有限公司{n}",
        "XK_XDR_LB": "法人及非法人组织",
        "XK_XDR_SHXYM": build_uscc("91", "371083", f"MA3E{n:04d}"),
        "XK_FRDB": "李娜",
        "XK_XKWS": "食品经营许可决定书",
        "XK_WSH": f"乳市监许〔2024〕{n}号",
        "XK_XKLB": "普通",
        "XK_XKZS": "食品经营许可证",
        "XK_XKBH": f"JY23710830{n:06d}",
        "XK_NR": "预包装食品销售，热食类食品制售",
        "XK_JDRQ": "2024-09-27",
        "XK_YXQZ": "2024-09-27",
        "XK_YXQZI": "2029-09-26",
        "XK_XKJG": department.name,
        "XK_XKJGDM": department.uscc,
        "XK_ZT": "有效",
        "XK_LYDW": department.name,
        "XK_LYDWDM": department.uscc,
    }
    row.update(overrides)
    return {k: v for k, v in row.items() if v is not None}


# A natural person's ID number that passes the check digit, and how every public output shows it.
PERSON_ID = "11010519491231002X"
PERSON_ID_MASKED = "110105********002X"


def person_penalty_row(department, n=1, **overrides):
    """A penalty of a natural person (王某n, ID ``PERSON_ID``): no USCC, no legal representative."""
    return penalty_row(
        department,
        n,
        CF_XDR_MC=f"王某{n}",
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM=None,
        CF_FRDB=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM=PERSON_ID,
        **overrides,
    )


def ingest_rows(department, rows, *, type_code="penalty", today=None, **options):
    """Store rows through the one intake pipeline (numbered from 2, under a header) as a test's data; fails
    on any refused row. A test about refusals or outcomes calls ``records_ingest`` itself."""
    summary = records_ingest(
        record_type=type_code, department=department, rows=list(enumerate(rows, start=2)), today=today, **options
    )
    refused = [(o.row_number, o.problems) for o in summary.outcomes if o.outcome == Outcome.REJECTED]
    assert not refused, refused
    return summary

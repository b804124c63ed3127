"""Demo credit information for ``seed_demo``: 双公示, lists and grades, entered through the real pipeline.

Everything goes through ``records_ingest`` (the form/upload/API pipeline), so
the demo shows what the platform would hold after departments reported:
deadlines, timeliness, publicity windows, list overlays. Decision dates are
recent (relative to today) so records are inside their publicity windows. The
step runs once: a database that already holds demo records is left alone.
"""

import datetime
import random

from django.apps import apps
from django.utils import timezone

from apps.accounts.models import Department
from apps.evaluation.engine import evaluate_all
from apps.records.choices import Severity
from apps.records.models import Record
from apps.records.services import records_ingest
from apps.subjects.choices import OperatingStatus, SubjectKind
from apps.subjects.models import Subject

PENALTY_DEPARTMENTS = {
    "scjgj": ("乳市监罚", ["销售不合格产品", "未按规定明码标价", "虚假宣传", "无照经营"]),
    "yjglj": ("乳应急罚", ["未按规定开展安全生产教育培训", "未建立事故隐患排查治理制度"]),
    "sthjfj": ("威环乳罚", ["超标排放大气污染物", "未批先建"]),
    "jtysj": ("乳交罚", ["车辆超限运输", "未取得道路运输经营许可擅自从事经营"]),
    "zjj": ("乳建罚", ["未取得施工许可证擅自施工"]),
}
LICENSE_DEPARTMENTS = {
    "scjgj": ("乳市监许", "食品经营许可证", "预包装食品销售，热食类食品制售"),
    "xzspfwj": ("乳审批许", "建设工程规划许可证", "新建厂房及配套设施"),
    "yjglj": ("乳应急许", "危险化学品经营许可证", "危险化学品（不含剧毒化学品）批发"),
}
# (department, list, reason, severity of the 失信 behind it: black lists only)
LISTS = [
    ("swj", "重大税收违法失信主体", "虚开增值税专用发票", Severity.SERIOUS),
    ("scjgj", "经营异常名录", "未按规定报送年度报告", None),
    ("swj", "A级纳税人", "年度纳税信用评价为A级", None),
    ("scjgj", "守合同重信用企业", "连续两年守合同重信用", None),
]
# The demo enterprise's own penalty is this old, so it is past 一般's 3-month minimum and repairable today.
REPAIRABLE_AGE_DAYS = 100
PER_DEPARTMENT = 12


def _companies():
    return list(
        Subject.objects.filter(kind=SubjectKind.LEGAL, code_valid=True, status=OperatingStatus.OPERATING)
        .exclude(uscc="")
        .order_by("pk")[:200]
    )


def _subject_fields(prefix: str, subject: Subject) -> dict:
    return {
        f"{prefix}_XDR_MC": subject.name,
        f"{prefix}_XDR_LB": "法人及非法人组织",
        f"{prefix}_XDR_SHXYM": subject.uscc,
        f"{prefix}_FRDB": subject.legal_representative or "张伟",
    }


def _penalty(department, subject, n, decided, prefix, reasons, rng) -> dict:
    fine = rng.choice(["0.2", "0.5", "1", "3", "5.5"])
    return _subject_fields("CF", subject) | {
        "CF_WSH": f"{prefix}〔{decided.year}〕{n}号",
        "CF_WFXW": rng.choice(reasons),
        "CF_SY": "经查，当事人的上述行为违反了相关法律法规的规定，事实清楚，证据确凿。",
        "CF_YJ": "依据相关法律法规的规定",
        "CF_CFLB": "罚款",
        "CF_NR": f"罚款人民币{float(fine) * 10000:.0f}元。",
        "CF_NR_FK": fine,
        "CF_JDRQ": decided.isoformat(),
        "CF_CFJG": department.name,
        "CF_CFJGDM": department.uscc,
        "CF_SJLY": department.name,
        "CF_SJLYDM": department.uscc,
    }


def _license(department, subject, n, decided, prefix, certificate, content) -> dict:
    return _subject_fields("XK", subject) | {
        "XK_XKWS": f"{certificate}准予许可决定书",
        "XK_WSH": f"{prefix}〔{decided.year}〕{n}号",
        "XK_XKLB": "普通",
        "XK_XKZS": certificate,
        "XK_XKBH": f"{prefix[-2:]}{decided:%Y%m%d}{n:04d}",
        "XK_NR": content,
        "XK_JDRQ": decided.isoformat(),
        "XK_YXQZ": decided.isoformat(),
        "XK_YXQZI": (decided + datetime.timedelta(days=5 * 365)).isoformat(),
        "XK_XKJG": department.name,
        "XK_XKJGDM": department.uscc,
        "XK_ZT": "有效",
        "XK_LYDW": department.name,
        "XK_LYDWDM": department.uscc,
    }


def _list_entry(department, subject, n, decided, list_name, reason) -> dict:
    return _subject_fields("MD", subject) | {
        "MD_MDLX": list_name,
        "MD_RDYJ": "依据相关名单管理办法认定",
        "MD_LRSY": reason,
        "MD_RDWSH": f"乳名单认〔{decided.year}〕{n}号",
        "MD_RDRQ": decided.isoformat(),
        "MD_JG": department.name,
        "MD_JGDM": department.uscc,
        "MD_SJLY": department.name,
        "MD_SJLYDM": department.uscc,
    }


REVIEW_DEPARTMENT = "scjgj"
REVIEW_WAITING = 3


def seed_credit_data(*, seed: int, extra_penalty_subject: Subject | None = None) -> dict:
    """Report demo records for a few departments; returns how many rows each kind accepted."""
    if Record.objects.exists():
        return {}
    rng = random.Random(seed)
    today = timezone.localdate()
    companies = _companies()
    if not companies:
        return {}
    departments = {d.code: d for d in Department.objects.all()}
    counts = {"penalty": 0, "license": 0, "list_entry": 0}

    def recent():
        # Most decisions are reported within their 7 working days (the demo's 及时率 is not 0); some late.
        days = rng.randrange(0, 6) if rng.random() < 0.6 else rng.randrange(12, 80)
        return today - datetime.timedelta(days=days)

    # Penalties state no severity: the rule table derives it, as for a department that leaves it empty.
    def ingest(type_code, department, rows, severity=None):
        summary = records_ingest(
            record_type=type_code,
            department=department,
            rows=list(enumerate(rows, start=1)),
            today=today,
            actor_label="演示数据",
            severity=severity,
        )
        counts[type_code] += summary.as_dict()["accepted"]

    for code, (prefix, reasons) in PENALTY_DEPARTMENTS.items():
        department = departments.get(code)
        if department:
            chosen = rng.sample(companies, min(PER_DEPARTMENT, len(companies)))
            dates = [recent() for _ in chosen]
            if code == "scjgj" and extra_penalty_subject is not None:
                chosen[0] = extra_penalty_subject  # the demo enterprise account has something to repair
                dates[0] = today - datetime.timedelta(days=REPAIRABLE_AGE_DAYS)
            ingest(
                "penalty",
                department,
                [
                    _penalty(department, s, n, d, prefix, reasons, rng)
                    for n, (s, d) in enumerate(zip(chosen, dates, strict=True), start=1)
                ],
            )
    for code, (prefix, certificate, content) in LICENSE_DEPARTMENTS.items():
        department = departments.get(code)
        if department:
            rows = [
                _license(department, s, n, recent(), prefix, certificate, content)
                for n, s in enumerate(rng.sample(companies, min(PER_DEPARTMENT, len(companies))), start=1)
            ]
            ingest("license", department, rows)
    for n, (code, list_name, reason, severity) in enumerate(LISTS, start=1):
        department = departments.get(code)
        if department:
            rows = [
                _list_entry(department, s, 10 * n + i, recent(), list_name, reason)
                for i, s in enumerate(rng.sample(companies, min(3, len(companies))))
            ]
            ingest("list_entry", department, rows, severity=severity)
    # One department reviews before publishing, with a few penalties in its reviewer's queue: the demo shows
    # the 工作台 count, the notification and the 待部门审核 → 已报送 step.
    reviewing = departments.get(REVIEW_DEPARTMENT)
    if reviewing and reviewing.code in PENALTY_DEPARTMENTS:
        reviewing.requires_review = True
        reviewing.save(update_fields=["requires_review"])
        prefix, reasons = PENALTY_DEPARTMENTS[reviewing.code]
        waiting = rng.sample(companies, min(REVIEW_WAITING, len(companies)))
        ingest(
            "penalty",
            reviewing,
            [
                _penalty(reviewing, s, PER_DEPARTMENT + n, today - datetime.timedelta(days=n), prefix, reasons, rng)
                for n, s in enumerate(waiting, start=1)
            ],
        )
    if apps.is_installed("apps.evaluation"):
        evaluate_all(on=today)
    return counts

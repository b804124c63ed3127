"""The 专用版 replaces the 无违法违规证明: it reads every penalty decided in the period in the named
fields, whatever its publicity, and says 无 only when there is truly none (issue 14, item 4).

The clock is frozen at 2024-10-10 (apps/portal/tests/conftest.py, ``frozen``).
"""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from apps.portal.tests.conftest import OTHER, OTHER_USCC, PERSON_IDS, TODAY, company, person
from apps.records.choices import Status
from apps.records.lifecycle import records_expire
from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.tests.factories import ingest_rows
from apps.records.workflow import record_revoke
from apps.reports.choices import ReportKind
from apps.reports.models import CreditReport
from apps.reports.pdf import report_pdf
from apps.reports.services import report_issue
from apps.subjects.codes import build_uscc
from apps.subjects.models import Subject

pytestmark = pytest.mark.django_db

HAIYUN = "乳山市海韵食品有限公司"
HAIYUN_USCC = build_uscc("91", "371083", "MA3X0009")
PERIOD = {"period_from": datetime.date(2023, 3, 1), "period_to": datetime.date(2024, 10, 9)}


def number(n):
    return f"乳市监罚〔2024〕{n}号"


def ingest_draft(dept, rows):
    summary = records_ingest(
        record_type="penalty", department=dept, rows=list(enumerate(rows, start=2)), today=TODAY, submit=False
    )
    assert summary.as_dict()["rejected"] == 0


def warning_only(dept, n, name=HAIYUN, uscc=HAIYUN_USCC, **overrides):
    """A penalty of 警告 only: not publicised under the rule in force (policy unpublished_penalty_kinds)."""
    return company(dept, n, name, uscc, CF_CFLB="警告", CF_NR="警告。", CF_NR_FK=None, CF_NR_WFFF=None, **overrides)


@pytest.fixture
def haiyun(dept_a, dept_b, center):
    """One company, penalties of dept_a in every state, and some that must stay out of the 专用版."""
    ingest_rows(
        dept_a,
        [
            warning_only(dept_a, 11, CF_JDRQ="2024-09-02"),  # never publicised
            company(dept_a, 12, HAIYUN, HAIYUN_USCC, CF_JDRQ="2023-06-01"),  # publicity ended 2024-06-01
            company(dept_a, 13, HAIYUN, HAIYUN_USCC, CF_JDRQ="2024-03-01"),  # repaired
            company(dept_a, 14, HAIYUN, HAIYUN_USCC, CF_JDRQ="2024-08-01"),  # under objection
            company(dept_a, 15, HAIYUN, HAIYUN_USCC, CF_JDRQ="2024-08-15"),  # revoked
            company(dept_a, 16, HAIYUN, HAIYUN_USCC, CF_JDRQ="2023-01-15"),  # before the period
            company(dept_a, 17, HAIYUN, HAIYUN_USCC, CF_JDRQ="2024-09-20"),  # in publicity
        ],
        today=TODAY,
    )
    ingest_rows(
        dept_b,
        [
            company(dept_b, 18, HAIYUN, HAIYUN_USCC, CF_JDRQ="2024-09-03"),  # another field
            company(dept_b, 22, OTHER, OTHER_USCC, CF_JDRQ="2024-09-03"),  # another company
        ],
        today=TODAY,
    )
    ingest_draft(dept_a, [company(dept_a, 19, HAIYUN, HAIYUN_USCC, CF_JDRQ="2024-09-10")])
    dept_a.requires_review = True
    dept_a.save()
    # Awaiting review:
    ingest_rows(dept_a, [company(dept_a, 20, HAIYUN, HAIYUN_USCC, CF_JDRQ="2024-09-11")], today=TODAY)
    dept_a.requires_review = False
    dept_a.save()

    assert records_expire(today=TODAY) >= 1  # the real withdrawal: 12 is now 公示期满 (status expired)
    Record.objects.filter(decision_number=number(13)).update(repaired=True)
    Record.objects.filter(decision_number=number(14)).update(under_objection=True)
    record_revoke(record=Record.objects.get(decision_number=number(15)), actor=center, reason="行政复议撤销原处罚决定")

    states = dict(Record.objects.filter(subject__name=HAIYUN).values_list("decision_number", "status"))
    assert states[number(12)] == Status.EXPIRED and states[number(15)] == Status.REVOKED
    assert states[number(19)] == Status.DRAFT and states[number(20)] == Status.PENDING_REVIEW
    assert Record.objects.get(decision_number=number(11)).is_publicised is False
    return Subject.objects.get(name=HAIYUN)


def special(subject, requester, departments, **period):
    return report_issue(
        subject=subject,
        purpose="administration",
        kind=ReportKind.SPECIAL,
        requester=requester,
        department_ids=[d.pk for d in departments],
        **(period or PERIOD),
    )


def pdf_text(report) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(report_pdf(report))).pages)


def test_every_penalty_decided_in_the_period_appears_with_its_status(haiyun, dept_a, center):
    report = special(haiyun, center, [dept_a])
    content = report.snapshot["special"]
    statuses = {p["decision_number"]: p["status_text"] for p in content["penalties"]}
    assert statuses == {
        number(17): "公示中",
        number(11): "未公示（轻微）",
        number(14): "公示中（异议处理中）",
        number(13): "已信用修复",
        number(12): "公示期满",
    }
    # Newest decision first, each with its date, department and kind.
    assert [p["decision_date"] for p in content["penalties"]] == [
        "2024-09-20",
        "2024-09-02",
        "2024-08-01",
        "2024-03-01",
        "2023-06-01",
    ]
    warning = next(p for p in content["penalties"] if p["decision_number"] == number(11))
    assert warning["kind"] == "警告" and warning["department"] == dept_a.name

    assert content["has_penalties"] is True
    statement = content["statement"]
    assert "无行政处罚信息" not in statement
    assert "有行政处罚信息5条" in statement
    for n in (11, 12, 13, 14, 17):
        assert number(n) in statement, n
    assert "2024年09月02日" in statement and "未公示（轻微）" in statement
    # Revoked, outside the period, another field's, a draft and one awaiting review: not there.
    for n in (15, 16, 18, 19, 20):
        assert number(n) not in statement and number(n) not in statuses, n


def test_the_pdf_shows_each_penalty_and_its_status(haiyun, dept_a, center):
    text = pdf_text(special(haiyun, center, [dept_a]))
    assert "有行政处罚信息5条" in text and "无行政处罚信息" not in text
    for expected in ("未公示（轻微）", "公示期满", "已信用修复", "异议处理中", "处罚类别", "状态", number(11)):
        assert expected in text, expected
    assert "含未公示、公示期满和已信用修复的" in text
    assert number(15) not in text


def test_a_report_with_truly_none_says_none(haiyun, dept_a, dept_b, center):
    # Only the revoked decision (2024-08-15) falls in this period: nothing to report.
    only_revoked = special(
        haiyun, center, [dept_a], period_from=datetime.date(2024, 8, 10), period_to=datetime.date(2024, 8, 20)
    )
    assert only_revoked.snapshot["special"]["has_penalties"] is False
    assert only_revoked.snapshot["special"]["penalties"] == []
    assert "无行政处罚信息" in only_revoked.snapshot["special"]["statement"]
    assert "无行政处罚信息" in pdf_text(only_revoked)
    # The other field's penalty is found when that field is named, and only then.
    other = special(haiyun, center, [dept_b])
    assert [p["decision_number"] for p in other.snapshot["special"]["penalties"]] == [number(18)]


def test_the_standard_report_still_shows_records_in_publicity_only(haiyun):
    report = report_issue(subject=haiyun, purpose="bidding")
    numbers = {r["decision_number"] for r in report.snapshot["records"]}
    assert numbers == {number(14), number(17), number(18)}
    assert "special" not in report.snapshot
    text = pdf_text(report)
    for n in (11, 12, 13, 15):
        assert number(n) not in text, n


def test_only_the_subject_or_the_credit_center_may_have_a_special_report(haiyun, dept_a, subject_user, client_for):
    url = reverse("reports:issue", args=[haiyun.pk])
    body = {
        "kind": "special",
        "purpose": "bidding",
        "departments": [dept_a.pk],
        "period_from": "2023-03-01",
        "period_to": "2024-10-09",
    }
    # A visitor could otherwise read the penalties the public pages may not show.
    refused = Client().post(url, body)
    assert refused.status_code == 403 and "仅限主体本人" in refused.content.decode()
    subject_user.subject = Subject.objects.get(name=OTHER)  # another company's account
    subject_user.save()
    assert client_for(subject_user).post(url, body).status_code == 403
    assert not CreditReport.objects.exists()
    # The standard report stays open to everyone.
    assert Client().post(url, {**body, "kind": "standard"}).status_code == 302

    subject_user.subject = haiyun
    subject_user.save()
    response = client_for(subject_user).post(url, body)
    assert response.status_code == 302
    report = CreditReport.objects.get(kind=ReportKind.SPECIAL)
    assert report.requester == subject_user and len(report.snapshot["special"]["penalties"]) == 5


def test_verify_shows_what_the_holder_got_with_personal_numbers_masked(dept_a, center):
    # A person is on the portal only while something about them is public: one published penalty, and
    # one 警告 never publicised, with the ID number typed into its content.
    ingest_rows(
        dept_a,
        [
            person(dept_a, 23, "王某甲", PERSON_IDS[0], CF_JDRQ="2024-09-06"),
            person(
                dept_a,
                21,
                "王某甲",
                PERSON_IDS[0],
                CF_CFLB="警告",
                CF_NR_FK=None,
                CF_NR_WFFF=None,
                CF_NR=f"对当事人（身份证号{PERSON_IDS[0]}）予以警告。",
                CF_JDRQ="2024-09-05",
            ),
        ],
        today=TODAY,
    )
    subject = Subject.objects.get(name="王某甲")
    report = special(subject, center, [dept_a])
    statuses = {p["decision_number"]: p["status"] for p in report.snapshot["special"]["penalties"]}
    assert statuses == {number(23): "公示中", number(21): "未公示（轻微）"}
    page = Client().get(reverse("reports:verify"), {"number": report.number, "code": report.verification_code})
    html = page.content.decode()
    assert page.status_code == 200 and "验证通过" in html
    assert number(21) in html and "未公示（轻微）" in html and "有行政处罚信息2条" in html
    api = Client().get("/api/v1/reports/verify/", {"number": report.number, "code": report.verification_code})
    rows = api.json()["content"]["special"]["penalties"]
    assert {r["decision_number"]: r["status"] for r in rows} == statuses
    for text in (html, api.content.decode(), pdf_text(report), str(report.snapshot)):
        assert PERSON_IDS[0] not in text
    assert "110105********002X" in html
    # The 警告 is on no public page: it was never publicised.
    profile = Client().get(reverse("portal:profile", args=[subject.pk])).content.decode()
    assert number(23) in profile and number(21) not in profile


def test_a_special_report_issued_before_the_fix_still_renders_as_it_was(haiyun, dept_a, center):
    """Version-2 snapshots listed penalties in publicity only, without status: the PDF must not
    claim they cover every penalty."""
    report = special(haiyun, center, [dept_a])
    snapshot = report.snapshot
    snapshot["version"] = 2
    snapshot["special"]["penalties"] = [
        {k: v for k, v in row.items() if k not in ("kind", "status", "status_text")}
        for row in snapshot["special"]["penalties"]
        if row["status"] == "公示中"
    ]
    snapshot["special"]["statement"] = "经查询，该主体在查询期间有行政处罚信息2条，详见下表。"
    report.snapshot = snapshot
    text = pdf_text(report).replace("\n", "")  # table cells wrap a long 文书号
    assert number(17) in text and number(11) not in text
    assert "第四部分的行政处罚查询结果包括" not in text and "未公示（轻微）" not in text
    # A report issued now says so.
    assert "第四部分的行政处罚查询结果包括" in pdf_text(special(haiyun, center, [dept_a]))

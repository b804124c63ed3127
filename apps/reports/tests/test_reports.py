"""Credit reports: issuance with purpose, snapshot and hash, PDF, verification (page and API), 专用版."""

import io

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from apps.portal.tests.conftest import PERSON_IDS, XINYUAN
from apps.records.models import Record
from apps.reports.choices import ReportKind
from apps.reports.models import CreditReport
from apps.reports.pdf import report_pdf
from apps.reports.services import report_issue, report_verify, snapshot_hash
from apps.subjects.models import Subject

pytestmark = pytest.mark.django_db
API = "/api/v1/reports/verify/"


def xinyuan():
    return Subject.objects.get(name=XINYUAN)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def issue_via_page(client, subject, **data):
    body = {"kind": "standard", "purpose": "bidding", **data}
    response = client.post(reverse("reports:issue", args=[subject.pk]), body)
    assert response.status_code == 302, response.content.decode()[:2000]
    return CreditReport.objects.get(number=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_issuance_is_logged_with_purpose_and_snapshot_hash(county):
    client = Client()
    report = issue_via_page(client, xinyuan(), purpose_note="某项目投标")
    assert report.purpose == "bidding" and report.purpose_note == "某项目投标"
    assert report.client_ip == "127.0.0.1"
    assert report.snapshot_hash == snapshot_hash(report.snapshot)
    assert report.snapshot["number"] == report.number
    assert report.snapshot["verify_url"].endswith(
        f"/reports/verify/?number={report.number}&code={report.verification_code}"
    )
    page = client.get(reverse("reports:issued", args=[report.number])).content.decode()
    assert report.verification_code in page
    # Another browser cannot read the code off the issued page.
    assert Client().get(reverse("reports:issued", args=[report.number])).status_code == 404


def test_pdf_has_number_code_time_and_chinese_text_with_marks(county):
    report = report_issue(subject=xinyuan(), purpose="financing")
    text = pdf_text(report_pdf(report))
    for expected in (
        report.number,
        report.verification_code,
        "2024-10-10 18:00:00",
        XINYUAN,
        "信用修复中",
        "异议处理中",
    ):
        assert expected in text, expected
    assert "乳市监罚〔2024〕4号" not in text  # past its window
    raw = report_pdf(report)
    assert b"/FontFile2" in raw  # the TrueType font is embedded
    assert raw == report_pdf(report)  # rendered from the snapshot: the same bytes every time


def test_verify_page_confirms_and_shows_what_the_report_said_after_the_data_changed(county):
    report = report_issue(subject=xinyuan(), purpose="bidding")
    Record.objects.filter(decision_number="乳市监罚〔2024〕1号").update(repaired=True)
    response = Client().get(reverse("reports:verify"), {"number": report.number, "code": report.verification_code})
    html = response.content.decode()
    assert 'data-status="verified"' in html
    assert "乳市监罚〔2024〕1号" in html  # as issued, although repaired since


def test_verify_refuses_a_wrong_number_or_code_alike(county):
    report = report_issue(subject=xinyuan(), purpose="bidding")
    assert report_verify(number=report.number, code=report.verification_code).verified
    assert report_verify(number=report.number.lower(), code=report.verification_code.lower()).verified
    assert (
        report_verify(
            number=report.number[:-1] + ("3" if report.number.endswith("2") else "2"), code=report.verification_code
        ).status
        == "refused"
    )
    assert report_verify(number=report.number, code="WRONG123").status == "refused"
    html = Client().get(reverse("reports:verify"), {"number": report.number + "X", "code": report.verification_code})
    assert 'data-status="refused"' in html.content.decode()


def test_an_edited_snapshot_is_detected(county):
    report = report_issue(subject=xinyuan(), purpose="bidding")
    snapshot = dict(report.snapshot, records=[])
    CreditReport.objects.filter(pk=report.pk).update(snapshot=snapshot)
    assert report_verify(number=report.number, code=report.verification_code).status == "altered"


def test_verify_api_answers_genuine_and_refused(county):
    report = report_issue(subject=xinyuan(), purpose="bidding")
    ok = Client().get(API, {"number": report.number, "code": report.verification_code})
    assert ok.status_code == 200
    body = ok.json()
    assert body["verified"] is True and body["snapshot_hash"] == report.snapshot_hash
    assert body["content"]["subject"]["name"] == XINYUAN
    altered = report.number[:-1] + ("3" if report.number.endswith("2") else "2")  # always a different number
    refused = Client().get(API, {"number": altered, "code": report.verification_code})
    assert refused.status_code == 404 and refused.json()["verified"] is False
    missing = Client().get(API, {"number": report.number})
    assert missing.status_code == 400 and "code" in missing.json()


def test_verify_api_is_in_the_openapi_schema(county):
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/reports/verify/" in schema


def test_download_needs_the_code(county):
    report = report_issue(subject=xinyuan(), purpose="bidding")
    url = reverse("reports:download", args=[report.number])
    response = Client().get(url, {"code": report.verification_code})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert Client().get(url, {"code": "AAAA2222"}).status_code == 404


def test_special_report_states_penalties_in_chosen_fields_and_period(county, subject_user):
    dept_a, dept_b = county["dept_a"], county["dept_b"]
    subject = xinyuan()
    subject_user.subject = subject  # the 专用版 is the subject's own (apps.reports.services.may_issue_special)
    subject_user.save()
    kwargs = {"subject": subject, "purpose": "administration", "kind": ReportKind.SPECIAL, "requester": subject_user}
    import datetime

    with_penalties = report_issue(
        **kwargs,
        department_ids=[dept_a.pk],
        period_from=datetime.date(2024, 1, 1),
        period_to=datetime.date(2024, 10, 9),
    )
    special = with_penalties.snapshot["special"]
    assert special["has_penalties"] is True
    assert sorted(p["decision_number"] for p in special["penalties"]) == [
        "乳市监罚〔2024〕1号",
        "乳市监罚〔2024〕2号",
        "乳市监罚〔2024〕3号",
    ]
    assert "有行政处罚信息3条" in special["statement"]
    other_field = report_issue(
        **kwargs,
        department_ids=[dept_b.pk],
        period_from=datetime.date(2024, 1, 1),
        period_to=datetime.date(2024, 10, 9),
    )
    assert other_field.snapshot["special"]["has_penalties"] is False
    assert "无行政处罚信息" in other_field.snapshot["special"]["statement"]
    # The 2022 penalty is past its publicity window, but it was decided in the period: the 专用版 says so.
    old_period = report_issue(
        **kwargs,
        department_ids=[dept_a.pk],
        period_from=datetime.date(2022, 1, 1),
        period_to=datetime.date(2022, 12, 31),
    )
    assert old_period.snapshot["special"]["has_penalties"] is True
    assert [(p["decision_number"], p["status"]) for p in old_period.snapshot["special"]["penalties"]] == [
        ("乳市监罚〔2024〕4号", "公示期满")
    ]
    text = pdf_text(report_pdf(with_penalties))
    assert "专用信用报告" in text and "有行政处罚信息3条" in text


def test_special_report_form_lists_every_problem_at_once(county):
    response = Client().post(
        reverse("reports:issue", args=[xinyuan().pk]),
        {"kind": "special", "purpose": "", "period_from": "2024-10-01", "period_to": "2024-12-01"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    for message in ("报告用途", "至少选择一个查询领域", "截止日不能晚于今天"):
        assert message in html, message
    assert not CreditReport.objects.exists()


def test_person_report_never_carries_the_full_id_number(county):
    person = Subject.objects.get(name="王某甲")
    report = report_issue(subject=person, purpose="self_check")
    text = pdf_text(report_pdf(report))
    assert "110105********002X" in text
    for number in PERSON_IDS:
        assert number not in text and number not in str(report.snapshot)


def test_reports_are_audited(county):
    report = report_issue(subject=xinyuan(), purpose="bidding")
    assert LogEntry.objects.get_for_object(report).exists()

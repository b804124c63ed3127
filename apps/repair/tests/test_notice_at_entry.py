"""两书同达 at entry (issue 14, item 5): the 信用修复告知书 exists as soon as a penalty is stored — from the
form, an upload (one zip) and the API — its service is recorded and audit-logged, and the department page
counts how many of the month's penalties had it served with the decision."""

import datetime
import io
import zipfile

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from apps.accounts.models import ApiKey
from apps.records.choices import Status
from apps.records.models import Record, Upload
from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row
from apps.records.tests.upload_support import labels, penalty_cells, xlsx_bytes
from apps.records.workflow import record_revoke
from apps.repair.choices import BatchState
from apps.repair.documents import NOTICE_TEMPLATE, notice_context
from apps.repair.models import NoticeBatch, NoticeService
from apps.repair.selectors import notice_coverage
from apps.repair.services.notices import notice_service_record

pytestmark = pytest.mark.django_db
FROZEN = datetime.datetime(2024, 10, 10, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai
DECIDED = datetime.date(2024, 9, 27)  # penalty_row's 处罚决定日期


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def form_data(row, **extra):
    data = dict(row, CF_CFLB=row["CF_CFLB"].split(";"))
    data.update(extra)
    return data


def stored(department, n, *, submit=True, **overrides):
    summary = records_ingest(
        record_type="penalty",
        department=department,
        rows=[(2, penalty_row(department, n, **overrides))],
        submit=submit,
    )
    outcome = summary.outcomes[0]
    assert outcome.record_id, outcome.problems
    return Record.objects.select_related("record_type", "department").get(pk=outcome.record_id)


def test_a_draft_saved_by_the_form_gets_its_notice_at_once(client_for, clerk_a, clerk_b, dept_a):
    client = client_for(clerk_a)
    response = client.post(reverse("records:create", args=["penalty"]), form_data(penalty_row(dept_a, 4), draft=""))
    record = Record.objects.get()
    assert record.status == Status.DRAFT and response.url == reverse("records:detail", args=[record.pk])

    page = client.get(response.url).content.decode()
    pdf_url = reverse("repair:notice_pdf", args=[record.pk])
    assert pdf_url in page and reverse("repair:notice_serve", args=[record.pk]) in page and "尚未登记送达" in page

    pdf = client.get(pdf_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "乳市监罚〔2024〕4号" in text and "信用修复告知书" in text
    assert client_for(clerk_b).get(pdf_url).status_code == 404
    # Not yet published: the notice does not invent a publication date (served before the record is reported).
    text = render_to_string(NOTICE_TEMPLATE, notice_context(record))
    assert "公示起始日：本信息在平台公示之日。" in text and "最长公示期至 2025年9月27日 届满" in text

    # Revoked: the decision was withdrawn, nothing to serve.
    record_revoke(record=record, actor=clerk_a, reason="决定已撤回")
    assert client.get(pdf_url).status_code == 404
    assert pdf_url not in client.get(response.url).content.decode()


def test_an_uploads_penalties_in_one_zip(client_for, clerk_a, clerk_b, dept_a, django_capture_on_commit_callbacks):
    stored(dept_a, 9)  # another intake's penalty: not in this upload's zip
    client = client_for(clerk_a)
    rows = [labels(), penalty_cells(dept_a, 1), penalty_cells(dept_a, 2), penalty_cells(dept_a, 3, CF_WSH="")]
    payload = {"record_type": "penalty", "file": SimpleUploadedFile("九月处罚.xlsx", xlsx_bytes(rows))}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("records_upload:create"), payload)
    upload = Upload.objects.get()
    assert upload.accepted == 2 and upload.rejected == 1

    notices_url = reverse("repair:upload_notices", args=[upload.pk])
    assert notices_url in client.get(reverse("records_upload:detail", args=[upload.pk])).content.decode()
    page = client.get(notices_url).content.decode()
    assert "乳市监罚〔2024〕1号" in page and "乳市监罚〔2024〕2号" in page and "乳市监罚〔2024〕9号" not in page
    assert client_for(clerk_b).get(notices_url).status_code == 404
    assert client_for(clerk_b).post(notices_url, {"action": "zip"}).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):  # the Celery task runs eagerly
        queued = client.post(notices_url, {"action": "zip"})
    batch = NoticeBatch.objects.get()
    assert queued.url == reverse("repair:notice_batch", args=[batch.pk])
    assert batch.upload == upload and batch.state == BatchState.DONE and batch.total == batch.done == 2
    assert "九月处罚.xlsx" in client.get(queued.url).content.decode()
    download = client.get(reverse("repair:notice_batch_download", args=[batch.pk]))
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert sorted(archive.namelist()) == [
        "信用修复告知书-乳市监罚〔2024〕1号.pdf",
        "信用修复告知书-乳市监罚〔2024〕2号.pdf",
    ]
    assert "乳市监罚〔2024〕2号" in pdf_text(archive.read("信用修复告知书-乳市监罚〔2024〕2号.pdf"))
    assert client_for(clerk_b).get(reverse("repair:notice_batch_download", args=[batch.pk])).status_code == 404

    # Served in bulk: one date and method for the selected penalties of the upload.
    first, second = Record.objects.filter(upload=upload).order_by("decision_number")
    response = client.post(
        notices_url, {"action": "serve", "records": [first.pk, second.pk], "served_on": "2024-09-27", "method": "post"}
    )
    assert response.status_code == 302
    assert {s.record_id: s.served_with_decision for s in NoticeService.objects.all()} == {
        first.pk: True,
        second.pk: True,
    }
    outsider = stored(dept_a, 10)  # not of this upload: refused, nothing saved
    response = client.post(
        notices_url, {"action": "serve", "records": [outsider.pk], "served_on": "2024-09-28", "method": "post"}
    )
    assert response.status_code == 400 and not NoticeService.objects.filter(record=outsider).exists()


def test_api_gives_the_notice_of_an_own_record_only(client_for, dept_a, dept_b, subject_user):
    own = stored(dept_a, 1, submit=False)  # a draft: the notice is due with the decision, before reporting
    other = stored(dept_b, 2)
    _key, raw = ApiKey.issue(name="执法办案系统", department=dept_a, scopes=["records:read"])
    api = Client(HTTP_X_API_KEY=raw)

    response = api.get(reverse("api-v1:repair-notice-pdf", args=[own.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert own.decision_number in pdf_text(response.content)
    assert api.get(reverse("api-v1:repair-notice-pdf", args=[own.pk]), HTTP_ACCEPT="application/pdf").status_code == 200

    missing = api.get(reverse("api-v1:repair-notice-pdf", args=[other.pk]))
    assert missing.status_code == 404 and "不属于本部门" in missing.json()["detail"]
    assert client_for(subject_user).get(reverse("api-v1:repair-notice-pdf", args=[own.pk])).status_code == 403
    assert Client().get(reverse("api-v1:repair-notice-pdf", args=[own.pk])).status_code == 401

    # Reading the service is allowed with records:read; recording it needs records:write.
    service_url = reverse("api-v1:repair-notice-service", args=[own.pk])
    assert api.get(service_url).json()["service"] is None
    body = {"served_on": "2024-09-27", "method": "electronic"}
    assert api.post(service_url, body, content_type="application/json").status_code == 403
    _key, writer = ApiKey.issue(name="执法办案系统（报送）", department=dept_a, scopes=["records:write"])
    api = Client(HTTP_X_API_KEY=writer)
    response = api.post(service_url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["service"]["served_with_decision"] is True
    service = NoticeService.objects.get(record=own)
    assert (
        service.method == "electronic"
        and service.recorded_by is None
        and "执法办案系统（报送）" in service.recorded_by_label
    )
    early = api.post(service_url, {"served_on": "2024-09-20", "method": "post"}, content_type="application/json")
    assert early.status_code == 400 and "不能早于处罚决定日期" in early.content.decode()
    other_url = reverse("api-v1:repair-notice-service", args=[other.pk])
    assert api.post(other_url, body, content_type="application/json").status_code == 404
    assert not NoticeService.objects.filter(record=other).exists()


def test_serving_is_recorded_on_the_record_page_and_audit_logged(client_for, clerk_a, clerk_b, dept_a):
    record = stored(dept_a, 1, submit=False)
    client = client_for(clerk_a)
    serve_url = reverse("repair:notice_serve", args=[record.pk])
    detail = reverse("records:detail", args=[record.pk])

    # Before the decision date or in the future: refused, nothing saved.
    for bad in ("2024-09-26", "2024-10-11"):
        response = client.post(serve_url, {"served_on": bad, "method": "in_person"}, follow=True)
        assert "送达登记未保存" in response.content.decode()
    assert not NoticeService.objects.exists()
    # Another department's clerk cannot record it.
    assert client_for(clerk_b).post(serve_url, {"served_on": "2024-09-27", "method": "in_person"}).status_code == 404

    response = client.post(serve_url, {"served_on": "2024-09-27", "method": "in_person", "note": "当场交付"})
    assert response.url == detail
    service = NoticeService.objects.get(record=record)
    assert service.served_with_decision and service.recorded_by == clerk_a and service.note == "当场交付"
    assert "两书同达" in client.get(detail).content.decode()

    # Corrected: the mailed notice arrived later. The row is replaced; the audit log keeps both.
    client.post(serve_url, {"served_on": "2024-09-30", "method": "post"})
    service.refresh_from_db()
    assert (service.served_on, service.method, service.served_with_decision) == (
        datetime.date(2024, 9, 30),
        "post",
        False,
    )
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(NoticeService), object_pk=str(service.pk)
    ).order_by("pk")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert all(e.actor == clerk_a for e in entries)
    assert entries[1].changes_dict["served_on"] == ["2024-09-27", "2024-09-30"]
    assert entries[1].changes_dict["served_with_decision"] == ["True", "False"]


def test_two_notices_coverage_on_the_department_page(client_for, clerk_a, dept_a, dept_b):
    together = stored(dept_a, 1)
    later = stored(dept_a, 2)
    stored(dept_a, 3)  # not served yet
    withdrawn = stored(dept_a, 4)
    draft_together = stored(dept_a, 5, submit=False)  # a draft counts: the decision was made and served
    warning_only = stored(dept_a, 6, CF_CFLB="警告", CF_NR="警告。", CF_NR_FK=None, CF_NR_WFFF=None)
    october = stored(dept_a, 7, CF_JDRQ="2024-10-08")
    foreign = stored(dept_b, 8)
    notice_service_record(records=[together, withdrawn, draft_together], served_on=DECIDED, method="in_person")
    notice_service_record(records=[later], served_on=datetime.date(2024, 10, 2), method="post")
    notice_service_record(records=[october, foreign], served_on=datetime.date(2024, 10, 8), method="in_person")
    record_revoke(record=withdrawn, actor=clerk_a, reason="决定已撤回")
    assert not Record.objects.get(pk=warning_only.pk).is_publicised  # 警告 only: not publicised, no notice

    coverage = notice_coverage(
        department=dept_a, date_from=datetime.date(2024, 9, 1), date_to=datetime.date(2024, 9, 30)
    )
    assert (coverage.penalties, coverage.served, coverage.served_with_decision) == (4, 3, 2)
    assert coverage.rate == 50.0
    empty = notice_coverage(department=dept_b, date_from=datetime.date(2024, 8, 1), date_to=datetime.date(2024, 8, 31))
    assert empty.penalties == 0 and empty.rate is None

    page = client_for(clerk_a).get(reverse("monitoring:my"), {"month": "2024-09"}).content.decode()
    section = page[page.index('id="notice-coverage"') :]
    assert "50.0%" in section and "2 / 4" in section
    october_page = client_for(clerk_a).get(reverse("monitoring:my"), {"month": "2024-10"}).content.decode()
    assert "1 / 1" in october_page[october_page.index('id="notice-coverage"') :]

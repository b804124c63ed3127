"""Issue 17 item 7: exchange with the city/provincial platform.

(a) the export carries repair and objection outcomes beside the records; (b) the 政务共享 export carries
full ID numbers, center only, every revealed subject logged; (c) the push: batches through an outbox to a
configurable upstream, retried with exponential backoff — tested against a real HTTP server on a free
local port that fails once (500) and then acknowledges, and that recognises a re-sent batch by its id.
"""

import datetime
import http.server
import io
import json
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from apps.audit.models import PersonalDataAccess
from apps.exchange.choices import OutboxStatus
from apps.exchange.models import OutboxBatch
from apps.exchange.push import backoff_seconds, outbox_batch_send, payload_bytes
from apps.exchange.services import outbox_batch_create
from apps.records.models import Record
from apps.records.tests.factories import PERSON_ID, PERSON_ID_MASKED, ingest_rows, penalty_row
from apps.repair.choices import ObjectionOutcome, ObjectionState, RepairState
from apps.repair.models import Objection, RepairApplication
from apps.subjects.choices import SubjectKind

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2024, 10, 10, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai
TODAY = datetime.date(2024, 10, 10)
PERIOD = {"date_from": "2024-10-01", "date_to": "2024-10-31"}
DOWNLOAD, SHARE, PUSH, RESEND = "/exchange/download/", "/exchange/share/", "/exchange/push/", "/exchange/push/resend/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _case(model, record, n, **fields):
    return model.objects.create(
        number=f"X{n:04d}",
        record=record,
        department=record.department,
        contact_name="联系人",
        contact_phone="13800000000",
        step_started_on=TODAY,
        decided_at=NOW,
        **fields,
    )


@pytest.fixture
def data(dept_a, dept_b):
    """Department A: a company's penalty (repaired) and a person's (objection → revoked); B: one penalty."""
    person_row = penalty_row(
        dept_a,
        2,
        CF_XDR_MC="王某",
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM=None,
        CF_FRDB=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM=PERSON_ID,
    )
    ingest_rows(dept_a, [penalty_row(dept_a, 1), person_row], today=TODAY)
    ingest_rows(dept_b, [penalty_row(dept_b, 3)], today=TODAY)
    company, person = Record.objects.filter(department=dept_a).order_by("pk")
    assert person.subject.kind == SubjectKind.PERSON
    _case(RepairApplication, company, 1, statement="已整改", state=RepairState.APPROVED, decision_reason="已履行")
    _case(
        Objection,
        person,
        2,
        relation="本人",
        grounds="非本人",
        state=ObjectionState.CLOSED,
        outcome=ObjectionOutcome.REVOKED,
        reply=f"经核实撤销（身份证 {PERSON_ID}）",
    )
    return company, person


def workbook(response):
    assert response.status_code == 200, response.content[:2000]
    book = load_workbook(io.BytesIO(response.content))
    return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def as_dicts(rows):
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- (a) the export carries repair and objection outcomes ----------------------------------------


def test_masked_export_carries_records_and_both_outcomes(data, client_for, clerk_a):
    sheets = workbook(client_for(clerk_a).get(DOWNLOAD, {**PERIOD, "identifiers": "masked"}))
    assert list(sheets) == ["信用信息", "信用修复结果", "异议处理结果"]
    records = as_dicts(sheets["信用信息"])
    assert {r["决定文书号"] for r in records} == {"乳市监罚〔2024〕1号", "乳市监罚〔2024〕2号"}  # own department only
    assert {r["统一社会信用代码/证件号码"] for r in records} >= {PERSON_ID_MASKED}
    (repair,) = as_dicts(sheets["信用修复结果"])
    assert repair["办理结果"] == "准予修复" and repair["决定文书号"] == "乳市监罚〔2024〕1号"
    (objection,) = as_dicts(sheets["异议处理结果"])
    assert objection["办理结果"] == "撤销" and objection["统一社会信用代码/证件号码"] == PERSON_ID_MASKED
    assert PERSON_ID not in json.dumps(sheets, ensure_ascii=False, default=str)
    assert not PersonalDataAccess.objects.exists()


def test_other_department_sees_none_of_it(data, client_for, clerk_b):
    sheets = workbook(client_for(clerk_b).get(DOWNLOAD, {**PERIOD, "identifiers": "masked"}))
    assert [r["决定文书号"] for r in as_dicts(sheets["信用信息"])] == ["乳市监罚〔2024〕3号"]
    assert len(sheets["信用修复结果"]) == 1 and len(sheets["异议处理结果"]) == 1  # header only


def test_outside_the_period_nothing(data, client_for, center):
    sheets = workbook(client_for(center).get(DOWNLOAD, {"date_from": "2024-09-01", "date_to": "2024-09-30"}))
    assert all(len(rows) == 1 for rows in sheets.values())


def test_bad_period_is_a_chinese_form_error(client_for, center):
    response = client_for(center).get(DOWNLOAD, {"date_from": "2024-10-31", "date_to": "2024-10-01"})
    assert response.status_code == 400 and "截止日期不能早于起始日期" in response.content.decode()


# --- (b) 政务共享: full identifiers, center only, logged --------------------------------------------


def test_share_export_has_full_numbers_and_logs_each_person(data, client_for, center):
    company, person = data
    sheets = workbook(client_for(center).get(SHARE, {**PERIOD, "identifiers": "full"}))
    codes = {r["决定文书号"]: r["统一社会信用代码/证件号码"] for r in as_dicts(sheets["信用信息"])}
    assert codes["乳市监罚〔2024〕2号"] == PERSON_ID
    assert codes["乳市监罚〔2024〕1号"] == company.subject.uscc
    assert as_dicts(sheets["异议处理结果"])[0]["统一社会信用代码/证件号码"] == PERSON_ID
    (access,) = PersonalDataAccess.objects.all()
    assert access.user == center and access.subject == person.subject and access.field == "id_number"
    assert "政务共享导出" in access.reason and "2024-10-01" in access.reason
    assert access.remote_addr == "127.0.0.1"


def test_center_asking_full_on_the_download_route_gets_the_logged_share(data, client_for, center):
    sheets = workbook(client_for(center).get(DOWNLOAD, {**PERIOD, "identifiers": "full"}))
    assert PERSON_ID in {r["统一社会信用代码/证件号码"] for r in as_dicts(sheets["信用信息"])}
    assert PersonalDataAccess.objects.count() == 1


def test_share_is_never_for_departments_or_the_public(data, client, client_for, clerk_a, subject_user):
    assert client_for(clerk_a).get(SHARE, {**PERIOD, "identifiers": "full"}).status_code == 403
    assert client_for(subject_user).get(SHARE, PERIOD).status_code == 403
    response = client.get(SHARE, PERIOD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # A clerk cannot pick 完整 on the download form either.
    response = client_for(clerk_a).get(DOWNLOAD, {**PERIOD, "identifiers": "full"})
    assert response.status_code == 400 and PERSON_ID not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


# --- (c) push through the outbox ---------------------------------------------------------------


class Upstream:
    """A real HTTP server on a free local port: answers the scripted statuses in turn, then 200.

    It keeps every request (headers and body) and the batches it stored by batch id, as an idempotent
    upstream would: a batch id it has seen is acknowledged again but not stored twice.
    """

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests = []
        self.stored = {}
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                batch_id = self.headers["X-Batch-Id"]
                upstream.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = upstream.statuses.pop(0) if upstream.statuses else 200
                if status == 200:
                    duplicate = batch_id in upstream.stored
                    upstream.stored.setdefault(batch_id, json.loads(body))
                    answer = json.dumps({"batch_id": batch_id, "accepted": True, "duplicate": duplicate}).encode()
                else:
                    upstream.stored.setdefault(batch_id, json.loads(body)) if status == 502 else None
                    answer = "服务器内部错误".encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/credit/batches"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def upstream_settings(settings):
    settings.EXCHANGE_PUSH_BACKOFF_SECONDS = 60
    settings.EXCHANGE_PUSH_MAX_ATTEMPTS = 5
    settings.EXCHANGE_UPSTREAM_TOKEN = "test-token"
    return settings


def push(center, upstream, settings, capture):
    settings.EXCHANGE_UPSTREAM_URL = upstream.url
    with capture(execute=True):
        batch = outbox_batch_create(
            user=center, date_from=datetime.date(2024, 10, 1), date_to=datetime.date(2024, 10, 31)
        )
    batch.refresh_from_db()
    return batch


def test_push_fails_once_then_is_acknowledged_on_retry(
    data, center, upstream_settings, django_capture_on_commit_callbacks
):
    with Upstream(statuses=[500]) as upstream:
        batch = push(center, upstream, upstream_settings, django_capture_on_commit_callbacks)
    assert [r["path"] for r in upstream.requests] == ["/credit/batches", "/credit/batches"]
    first, second = upstream.requests
    # The same batch, byte for byte, under the same id: the upstream can tell a re-send.
    assert first["body"] == second["body"]
    assert first["headers"]["X-Batch-Id"] == second["headers"]["X-Batch-Id"] == str(batch.batch_id)
    assert first["headers"]["Authorization"] == "Bearer test-token"
    body = json.loads(second["body"])
    assert body["batch_id"] == str(batch.batch_id)
    assert body["counts"] == {"records": 3, "repairs": 1, "objections": 1}
    assert PERSON_ID in {r["subject_code"] for r in body["records"]}  # 政务共享: matchable upstream
    assert body["repairs"][0]["outcome"] == "approved" and body["objections"][0]["outcome"] == "revoked"
    # The outbox records what happened.
    assert batch.status == OutboxStatus.ACKNOWLEDGED and batch.attempts == 2
    assert "HTTP 500" in batch.last_error
    assert batch.acknowledged_at == NOW and '"accepted": true' in batch.ack_response
    assert (batch.records_count, batch.repairs_count, batch.objections_count) == (3, 1, 1)
    assert PERSON_ID not in batch.payload_encrypted  # encrypted at rest …
    assert payload_bytes(batch) == second["body"]  # … and exactly what was sent
    (access,) = PersonalDataAccess.objects.all()
    assert access.user == center and str(batch.batch_id) in access.reason


def test_acknowledged_batch_is_not_sent_again_and_upstream_dedupes_a_resend(
    data, center, upstream_settings, django_capture_on_commit_callbacks
):
    # 502 here: the upstream stored the batch but the acknowledgement was lost; the retry carries the same id.
    with Upstream(statuses=[502]) as upstream:
        batch = push(center, upstream, upstream_settings, django_capture_on_commit_callbacks)
        assert batch.status == OutboxStatus.ACKNOWLEDGED
        assert json.loads(batch.ack_response)["duplicate"] is True
        assert len(upstream.stored) == 1  # two deliveries, one batch upstream
        assert outbox_batch_send(batch=batch) == OutboxStatus.ACKNOWLEDGED
    assert len(upstream.requests) == 2  # nothing sent for an acknowledged batch


def test_push_gives_up_after_the_maximum_then_a_resend_succeeds(
    data, center, client_for, upstream_settings, django_capture_on_commit_callbacks
):
    upstream_settings.EXCHANGE_PUSH_MAX_ATTEMPTS = 3
    with Upstream(statuses=[500, 500, 500]) as upstream:
        batch = push(center, upstream, upstream_settings, django_capture_on_commit_callbacks)
        assert len(upstream.requests) == 3
        assert batch.status == OutboxStatus.FAILED and batch.attempts == 3 and batch.next_attempt_at is None
        page = client_for(center).get("/exchange/").content.decode()
        assert "多次失败，已停止重试" in page and "重新发送" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(center).post(RESEND, {"batch": str(batch.batch_id)})
        assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == OutboxStatus.ACKNOWLEDGED and len(upstream.requests) == 4
    assert {r["headers"]["X-Batch-Id"] for r in upstream.requests} == {str(batch.batch_id)}


def test_unreachable_upstream_is_recorded_with_its_next_attempt(data, center, upstream_settings):
    with Upstream() as upstream:
        url = upstream.url  # the port is closed once the server has stopped
    upstream_settings.EXCHANGE_UPSTREAM_URL = url
    batch = outbox_batch_create(user=center, date_from=datetime.date(2024, 10, 1), date_to=datetime.date(2024, 10, 31))
    assert outbox_batch_send(batch=batch) == OutboxStatus.RETRYING  # without the task: one attempt
    batch.refresh_from_db()
    assert "无法连接上级平台" in batch.last_error and batch.attempts == 1
    assert batch.next_attempt_at == NOW + datetime.timedelta(seconds=60)


def test_a_period_emptied_before_the_worker_builds_it_fails_with_the_reason(data, center, upstream_settings):
    upstream_settings.EXCHANGE_UPSTREAM_URL = "http://127.0.0.1:9/"
    batch = outbox_batch_create(user=center, date_from=datetime.date(2024, 10, 1), date_to=datetime.date(2024, 10, 31))
    assert batch.status == OutboxStatus.PREPARING and batch.payload_encrypted == ""  # built by the worker
    OutboxBatch.objects.filter(pk=batch.pk).update(
        date_from=datetime.date(2024, 1, 1), date_to=datetime.date(2024, 1, 2)
    )
    assert outbox_batch_send(batch=batch) == OutboxStatus.FAILED
    batch.refresh_from_db()
    assert "已没有需要上报" in batch.last_error and batch.attempts == 0
    assert not PersonalDataAccess.objects.exists()


def test_backoff_doubles_and_is_capped(settings):
    settings.EXCHANGE_PUSH_BACKOFF_SECONDS = 60
    assert [backoff_seconds(n) for n in range(1, 6)] == [60, 120, 240, 480, 960]
    assert backoff_seconds(30) == 6 * 3600


def test_push_needs_an_http_endpoint_and_the_center(data, center, clerk_a, settings, client_for):
    settings.EXCHANGE_UPSTREAM_URL = ""
    period = {"date_from": datetime.date(2024, 10, 1), "date_to": datetime.date(2024, 10, 31)}
    with pytest.raises(ValidationError, match="未配置上级平台接收地址"):
        outbox_batch_create(user=center, **period)
    settings.EXCHANGE_UPSTREAM_URL = "file:///etc/passwd"
    with pytest.raises(ValidationError, match="须为 http:// 或 https://"):
        outbox_batch_create(user=center, **period)
    assert "须为 http:// 或 https://" in client_for(center).get("/exchange/").content.decode()
    settings.EXCHANGE_UPSTREAM_URL = "http://127.0.0.1:9/"
    response = client_for(clerk_a).post(PUSH, {**PERIOD, "confirm": "on"})
    assert response.status_code == 403
    assert not OutboxBatch.objects.exists() and not PersonalDataAccess.objects.exists()


def test_empty_period_makes_no_batch(center, settings, client_for):
    settings.EXCHANGE_UPSTREAM_URL = "http://127.0.0.1:9/"
    response = client_for(center).post(PUSH, {**PERIOD, "confirm": "on"})
    assert response.status_code == 400 and "该期间没有需要上报的" in response.content.decode()
    assert not OutboxBatch.objects.exists()

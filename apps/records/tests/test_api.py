import datetime
import json

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from apps.accounts.models import ApiKey
from apps.records.choices import Source, Status
from apps.records.history import record_events
from apps.records.models import Record, RecordEvent, Submission, SubmissionBatch
from apps.records.services import records_ingest

from .factories import PERSON_ID, PERSON_ID_MASKED, ingest_rows, license_row, penalty_row, person_penalty_row

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 10, 10)


@pytest.fixture(autouse=True)
def frozen():
    cache.clear()  # the public endpoints' throttle counts live in the cache
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def key_a(dept_a):
    _key, raw = ApiKey.issue(name="市场监管执法办案系统", department=dept_a, scopes=["records:write"])
    return raw


@pytest.fixture
def key_b(dept_b):
    _key, raw = ApiKey.issue(name="税务征管系统", department=dept_b, scopes=["records:write"])
    return raw


def api(raw_key=None):
    return Client(headers={"Authorization": f"Api-Key {raw_key}"}) if raw_key else Client()


def post_batch(client, body, type_code="penalty"):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/api/v1/records/{type_code}/batch/", payload, content_type="application/json")


# --- batch: API key --------------------------------------------------------------


def test_batch_with_api_key_returns_a_result_per_row_and_keeps_the_good_rows(dept_a, key_a):
    rows = [penalty_row(dept_a, 1), penalty_row(dept_a, 2, CF_JDRQ="2024-13-01"), penalty_row(dept_a, 3)]
    response = post_batch(api(key_a), {"records": rows})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["summary"] == {"accepted": 2, "rejected": 1, "duplicates": 0}
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert [r["outcome"] for r in body["results"]] == ["accepted", "rejected", "accepted"]
    bad = body["results"][1]
    assert bad["record_id"] is None
    assert {"field": "CF_JDRQ", "label": "处罚决定日期"}.items() <= bad["problems"][0].items()
    assert "不是有效日期" in bad["problems"][0]["message"]
    good = body["results"][0]
    record = Record.objects.get(pk=good["record_id"])
    assert record.department == dept_a
    assert record.source == Source.API
    assert record.decision_number == good["decision_number"] == "乳市监罚〔2024〕1号"
    # The creation entry is the record's own: the system's name is kept on it (no create event row).
    assert not RecordEvent.objects.filter(record=record).exists()
    (event,) = record_events(record)
    assert event.action == "create" and event.actor is None and event.actor_label == "市场监管执法办案系统"
    assert record.created_by_label == "市场监管执法办案系统"
    # One batch counts the three rows; only the rejected one is kept row by row.
    batch = SubmissionBatch.objects.get(source=Source.API)
    assert (batch.rows, batch.compliant, batch.accepted, batch.rejected) == (3, 2, 2, 1)
    assert list(Submission.objects.values_list("source", "row_number", "batch")) == [(Source.API, 2, batch.pk)]


def test_numbers_and_arrays_are_accepted_as_values_and_labels_as_keys(dept_a, key_a):
    row = penalty_row(dept_a, CF_NR_FK=0.5, CF_NR_WFFF=0.12, CF_CFLB=["罚款", "没收违法所得"])
    row["行政处罚决定书文号"] = row.pop("CF_WSH")  # a template header instead of the field code
    row["XYZ_UNKNOWN"] = "x"
    rejected = dict(row, CF_JDRQ="2024-13-01", CF_WSH="乳市监罚〔2024〕99号")
    rejected.pop("行政处罚决定书文号")
    response = post_batch(api(key_a), {"records": [row, rejected]})
    result = response.json()["results"][0]
    assert result["outcome"] == "accepted", result
    assert result["warnings"] == [{"field": "XYZ_UNKNOWN", "label": "", "message": "未识别的字段，已忽略"}]
    record = Record.objects.get()
    assert record.data["CF_CFLB"] == ["罚款", "没收违法所得"]
    assert record.data["CF_NR_FK"] == "0.5"
    assert "XYZ_UNKNOWN" not in Submission.objects.get().raw  # the rejected row, as kept for fixing


def test_reposting_the_same_batch_creates_nothing(dept_a, key_a):
    rows = [penalty_row(dept_a, n) for n in range(1, 4)]
    first = post_batch(api(key_a), {"records": rows}).json()
    again = post_batch(api(key_a), {"records": rows}).json()
    assert again["summary"] == {"accepted": 0, "rejected": 0, "duplicates": 3}
    assert [r["outcome"] for r in again["results"]] == ["duplicate"] * 3
    assert [r["record_id"] for r in again["results"]] == [r["record_id"] for r in first["results"]]
    assert Record.objects.count() == 3
    assert RecordEvent.objects.count() == 0  # creations are the records' own; nothing changed
    assert sorted(SubmissionBatch.objects.values_list("accepted", "duplicates")) == [(0, 3), (3, 0)]


def test_changed_content_is_an_update_with_history(dept_a, key_a):
    post_batch(api(key_a), {"records": [penalty_row(dept_a)]})
    record = Record.objects.get()
    response = post_batch(api(key_a), {"records": [penalty_row(dept_a, CF_NR="罚款人民币6000元。", CF_NR_FK="0.6")]})
    body = response.json()
    assert body["summary"] == {"accepted": 1, "rejected": 0, "duplicates": 0}
    assert body["results"][0]["outcome"] == "updated"
    assert body["results"][0]["record_id"] == record.pk
    assert Record.objects.count() == 1
    event = RecordEvent.objects.get(record=record, action="correct")
    assert event.actor_label == "市场监管执法办案系统"
    assert event.before["CF_NR"] == "罚款人民币5000元，没收违法所得1200元。"
    assert event.after["CF_NR"] == "罚款人民币6000元。"
    assert event.before["CF_NR_FK"] == "0.5" and event.after["CF_NR_FK"] == "0.6"
    record.refresh_from_db()
    assert record.data["CF_NR"] == "罚款人民币6000元。"


def test_person_id_numbers_are_masked_in_the_response_and_stored_data(dept_a, key_a):
    response = post_batch(api(key_a), {"records": [person_penalty_row(dept_a)]})
    assert response.json()["summary"]["accepted"] == 1, response.json()
    assert PERSON_ID not in response.content.decode()
    record_id = response.json()["results"][0]["record_id"]
    detail = api(key_a).get(f"/api/v1/records/{record_id}/")
    assert detail.json()["data"]["CF_XDR_ZJHM"] == PERSON_ID_MASKED
    assert detail.json()["subject_code"] == PERSON_ID_MASKED
    assert PERSON_ID not in detail.content.decode()
    assert "private_data" not in detail.json()


# --- batch: sessions and departments -------------------------------------------------


def test_clerk_session_submits_for_own_department(dept_a, clerk_a, client_for):
    response = post_batch(client_for(clerk_a), {"records": [license_row(dept_a)]}, type_code="license")
    assert response.status_code == 200
    assert response.json()["summary"]["accepted"] == 1
    record = Record.objects.get()
    assert record.department == dept_a and record.record_type.code == "license"
    assert not record.events.exists()
    (event,) = record_events(record)
    assert event.actor == clerk_a


def test_clerk_cannot_submit_in_another_departments_name(dept_a, dept_b, clerk_b, client_for):
    response = post_batch(client_for(clerk_b), {"department": dept_a.code, "records": [penalty_row(dept_a)]})
    assert response.status_code == 403
    assert "只能报送本部门" in response.json()["detail"]
    assert not Record.objects.exists()


def test_center_staff_must_name_the_department(dept_a, center, client_for):
    client = client_for(center)
    missing = post_batch(client, {"records": [penalty_row(dept_a)]})
    assert missing.status_code == 400
    assert "department" in missing.json()["department"][0]
    unknown = post_batch(client, {"department": "nosuch", "records": [penalty_row(dept_a)]})
    assert unknown.status_code == 400 and "不存在" in unknown.json()["department"][0]
    ok = post_batch(client, {"department": dept_a.code, "records": [penalty_row(dept_a)]})
    assert ok.status_code == 200 and ok.json()["summary"]["accepted"] == 1
    assert Record.objects.get().department == dept_a


def test_another_departments_key_cannot_touch_a_departments_records(dept_a, dept_b, key_a, key_b):
    post_batch(api(key_a), {"records": [penalty_row(dept_a)]})
    record = Record.objects.get()
    # Posting dept A's row (its 数据来源单位 code) with dept B's key: rejected, A's record unchanged.
    response = post_batch(api(key_b), {"records": [penalty_row(dept_a, CF_NR="篡改")]})
    assert response.json()["results"][0]["outcome"] == "rejected"
    assert "只能报送本部门数据" in json.dumps(response.json(), ensure_ascii=False)
    # Naming department A explicitly is refused outright.
    response = post_batch(api(key_b), {"department": dept_a.code, "records": [penalty_row(dept_a, CF_NR="篡改")]})
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.data["CF_NR"] != "篡改"
    assert Record.objects.count() == 1
    # The same document number under department B is B's own record, not A's.
    post_batch(api(key_b), {"records": [penalty_row(dept_b)]})
    assert Record.objects.filter(department=dept_b).count() == 1
    record.refresh_from_db()
    assert record.events.count() == 0 and len(record_events(record)) == 1
    # And B cannot read A's record.
    assert api(key_b).get(f"/api/v1/records/{record.pk}/").status_code == 404
    assert record.pk not in [r["id"] for r in api(key_b).get("/api/v1/records/").json()["results"]]


def test_keys_without_the_write_scope_or_a_department_are_refused(dept_a):
    _k, read_only = ApiKey.issue(name="只读系统", department=dept_a, scopes=["records:read"])
    _k, no_dept = ApiKey.issue(name="服务大厅", scopes=["records:write"])
    response = post_batch(api(read_only), {"records": [penalty_row(dept_a)]})
    assert response.status_code == 403 and "records:write" in response.json()["detail"]
    response = post_batch(api(no_dept), {"records": [penalty_row(dept_a)]})
    assert response.status_code == 403 and "未绑定部门" in response.json()["detail"]
    assert post_batch(api(), {"records": [penalty_row(dept_a)]}).status_code in (401, 403)
    assert post_batch(api("bogus.key"), {"records": [penalty_row(dept_a)]}).status_code == 401
    assert not Record.objects.exists()


def test_subject_accounts_cannot_submit(dept_a, subject_user, client_for):
    response = post_batch(client_for(subject_user), {"records": [penalty_row(dept_a)]})
    assert response.status_code == 403


# --- batch: bad requests ------------------------------------------------------------


def test_unknown_record_type_is_404_in_chinese(dept_a, key_a):
    response = post_batch(api(key_a), {"records": [penalty_row(dept_a)]}, type_code="fines")
    assert response.status_code == 404
    assert response.json()["detail"] == "信息类型“fines”不存在或未启用。"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "缺少 records"),
        ("null", "缺少 records"),
        ("123", "请求体应为 JSON 对象"),
        ({}, "缺少 records"),
        ({"records": {"CF_WSH": "x"}}, "records 应为数组"),
        ({"records": "CF_WSH=x"}, "records 应为数组"),
        ({"records": None}, "records 不能为 null"),
        ({"records": []}, "至少提交一条记录"),
        ([{"CF_WSH": "x"}], "请求体应为 JSON 对象"),
        ('{"records": [', "请求体不是有效的 JSON"),
        ({"records": [{"CF_WSH": "x"}, "row"]}, "应为对象"),
        ({"records": [{"CF_WSH": {"a": 1}}]}, "CF_WSH 的取值应为文本或数字"),
        ({"records": [{"CF_WSH": True}]}, "收到的是 布尔值"),
        ({"records": [{"CF_CFLB": [["罚款"]]}]}, "CF_CFLB 的取值应为文本或数字"),
    ],
)
def test_bad_bodies_are_400_with_chinese_messages(dept_a, key_a, body, expected):
    response = post_batch(api(key_a), body)
    assert response.status_code == 400, response.content
    assert expected in json.dumps(response.json(), ensure_ascii=False)
    assert not Record.objects.exists()


def test_bad_row_error_is_keyed_by_its_index(dept_a, key_a):
    response = post_batch(api(key_a), {"records": [penalty_row(dept_a), 7]})
    assert response.status_code == 400
    assert "第 1 条" in response.json()["records"]["1"][0]


def test_more_than_1000_records_is_400(dept_a, key_a):
    rows = [{"CF_WSH": f"x{n}"} for n in range(1001)]
    response = post_batch(api(key_a), {"records": rows})
    assert response.status_code == 400
    assert "每次最多提交 1000 条记录，本次为 1001 条" in response.json()["records"][0]


def test_form_encoded_body_is_refused_not_crashed(dept_a, key_a):
    response = api(key_a).post("/api/v1/records/penalty/batch/", {"records": "x"})
    assert response.status_code == 415


# --- reading -------------------------------------------------------------------------


def test_record_json_carries_deadline_and_timeliness(dept_a, key_a):
    ingest_rows(dept_a, [penalty_row(dept_a)], today=TODAY)
    body = api(key_a).get("/api/v1/records/").json()
    assert body["count"] == 1
    record = body["results"][0]
    assert record["record_type"] == "penalty" and record["department"] == dept_a.code
    assert record["report_deadline"] == "2024-10-12"
    assert record["deadline_calendar"]
    assert record["reported_at"].startswith("2024-10-10T18:00:00")  # Asia/Shanghai
    assert record["timely"] is True
    assert record["status"] == Status.PUBLISHED
    assert record["publicity_end"] == "2025-09-27"
    assert record["data"]["CF_WSH"] == "乳市监罚〔2024〕1号"


def test_departments_see_their_own_records_and_the_center_sees_all(
    dept_a, dept_b, key_a, clerk_a, clerk_b, center, client_for
):
    ingest_rows(dept_a, [penalty_row(dept_a, 1), penalty_row(dept_a, 2)], today=TODAY)
    ingest_rows(dept_b, [penalty_row(dept_b, 3)], today=TODAY)
    a_ids = set(Record.objects.filter(department=dept_a).values_list("pk", flat=True))
    b_record = Record.objects.get(department=dept_b)

    assert {r["id"] for r in api(key_a).get("/api/v1/records/").json()["results"]} == a_ids
    assert {r["id"] for r in client_for(clerk_a).get("/api/v1/records/").json()["results"]} == a_ids
    assert api(key_a).get(f"/api/v1/records/{b_record.pk}/").status_code == 404
    assert client_for(clerk_a).get(f"/api/v1/records/{b_record.pk}/").status_code == 404
    assert client_for(clerk_b).get(f"/api/v1/records/{b_record.pk}/").status_code == 200
    # Filtering by another department shows nothing rather than leaking.
    assert api(key_a).get("/api/v1/records/", {"department": dept_b.code}).json()["count"] == 0

    everything = client_for(center).get("/api/v1/records/").json()
    assert everything["count"] == 3
    assert client_for(center).get(f"/api/v1/records/{b_record.pk}/").status_code == 200


def test_list_filters_are_the_shared_filterset(dept_a, dept_b, center, client_for):
    ingest_rows(dept_a, [penalty_row(dept_a, 1), penalty_row(dept_a, 2, CF_JDRQ="2024-08-01")], today=TODAY)
    ingest_rows(dept_a, [license_row(dept_a, 5)], type_code="license", today=TODAY)
    ingest_rows(dept_b, [penalty_row(dept_b, 3)], today=TODAY)
    Record.objects.filter(decision_number="乳市监罚〔2024〕2号").update(timely=False)
    client = client_for(center)

    def count(**params):
        response = client.get("/api/v1/records/", params)
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert count(type="license") == 1
    assert count(type="penalty", department=dept_a.code) == 2
    assert count(decided_from="2024-09-01", decided_to="2024-09-30") == 3
    assert count(name="测试商贸有限公司3") == 1
    assert count(number="〔2024〕2号") == 1
    assert count(code=penalty_row(dept_a, 1)["CF_XDR_SHXYM"]) == 1
    assert count(timely="false") == 1
    assert count(status="published") == 4
    assert count(status="revoked") == 0
    assert count(reported_from="2024-10-10", reported_to="2024-10-10") == 4
    assert client.get("/api/v1/records/", {"decided_from": "not-a-date"}).status_code == 400
    assert client.get("/api/v1/records/", {"type": "nosuch"}).status_code == 400


def test_read_needs_a_department_key_or_staff(dept_a, subject_user, client_for):
    _k, no_scope = ApiKey.issue(name="其他系统", department=dept_a, scopes=["subjects:read"])
    assert api(no_scope).get("/api/v1/records/").status_code == 403
    assert client_for(subject_user).get("/api/v1/records/").status_code == 403
    assert api().get("/api/v1/records/").status_code in (401, 403)
    _k, read_only = ApiKey.issue(name="只读系统", department=dept_a, scopes=["records:read"])
    assert api(read_only).get("/api/v1/records/").status_code == 200


# --- public API ------------------------------------------------------------------------


def test_public_api_lists_only_records_in_publicity_with_public_fields(dept_a, dept_b):
    ingest_rows(
        dept_a,
        [
            penalty_row(dept_a, 1),
            person_penalty_row(dept_a, 2, CF_SY=f"当事人（身份证号{PERSON_ID}）销售不合格产品。"),
            penalty_row(dept_a, 3, CF_CFLB="警告", CF_NR_FK=None, CF_NR_WFFF=None, CF_NR="警告"),  # not publicised
            penalty_row(dept_a, 4),
            penalty_row(dept_a, 5),
        ],
        today=TODAY,
    )
    Record.objects.filter(decision_number="乳市监罚〔2024〕4号").update(status=Status.REVOKED)
    Record.objects.filter(decision_number="乳市监罚〔2024〕5号").update(repaired=True)
    response = Client().get("/api/v1/records/public/")
    assert response.status_code == 200
    body = response.json()
    assert {r["decision_number"] for r in body["results"]} == {"乳市监罚〔2024〕1号", "乳市监罚〔2024〕2号"}
    text = response.content.decode()
    assert PERSON_ID not in text
    person = next(r for r in body["results"] if r["decision_number"] == "乳市监罚〔2024〕2号")
    assert person["subject_code"] == PERSON_ID_MASKED
    assert "CF_XDR_ZJHM" not in person["data"]  # not a public field at all
    assert PERSON_ID_MASKED in person["data"]["CF_SY"]  # an ID number typed into free text is masked too
    assert list(person["data"])[:2] == ["CF_XDR_MC", "CF_XDR_LB"]  # catalog order
    assert person["labels"]["CF_WSH"] == "行政处罚决定书文号"
    for hidden in ("report_deadline", "timely", "private_data", "status"):
        assert hidden not in person
    one = Client().get(f"/api/v1/records/public/{person['id']}/")
    assert one.status_code == 200 and one.json()["data"] == person["data"]
    revoked = Record.objects.get(decision_number="乳市监罚〔2024〕4号")
    assert Client().get(f"/api/v1/records/public/{revoked.pk}/").status_code == 404
    assert len(Client().get("/api/v1/records/public/", {"name": "王某"}).json()["results"]) == 1


def test_public_api_drops_records_after_their_window(dept_a):
    ingest_rows(dept_a, [penalty_row(dept_a)], today=TODAY)
    record = Record.objects.get()
    with time_machine.travel(datetime.datetime(2025, 9, 28, 2, 0, tzinfo=datetime.UTC), tick=False):
        assert Client().get("/api/v1/records/public/").json()["results"] == []
        assert Client().get(f"/api/v1/records/public/{record.pk}/").status_code == 404


def test_public_api_is_throttled_like_other_public_endpoints():
    from apps.records.api.views import PublicRecordListView

    assert [t.__name__ for t in PublicRecordListView.throttle_classes] == ["AnonRateThrottle"]


# --- schema -----------------------------------------------------------------------------


def test_schema_documents_the_records_endpoints():
    response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    batch = paths["/api/v1/records/{type_code}/batch/"]["post"]
    assert batch["operationId"] == "records_batch"
    assert set(batch["responses"]) >= {"200", "400", "404"}
    assert batch["requestBody"]["content"]["application/json"]["examples"]
    assert "/api/v1/records/" in paths and "/api/v1/records/{id}/" in paths
    assert "/api/v1/records/public/" in paths
    params = {p["name"] for p in paths["/api/v1/records/"]["get"]["parameters"]}
    assert {"type", "department", "decided_from", "decided_to", "name", "code", "status", "timely"} <= params


def test_a_concurrent_insert_of_the_same_number_is_retried_not_a_500(dept_a, key_a, monkeypatch):
    from django.db import IntegrityError

    from apps.records.api import views

    calls = []

    def flaky(**options):
        calls.append(options)
        if len(calls) == 1:
            records_ingest(**{**options, "actor_label": "另一个请求"})  # the other request wins the race
            raise IntegrityError('duplicate key value violates unique constraint "record_natural_key"')
        return records_ingest(**options)

    monkeypatch.setattr(views, "records_ingest", flaky)
    response = post_batch(api(key_a), {"records": [penalty_row(dept_a)]})
    assert response.status_code == 200
    assert response.json()["results"][0]["outcome"] == "duplicate"
    assert Record.objects.count() == 1

"""The department systems' API: open repair applications and objections, scoped by the key's department."""

import json

import pytest
from django.test import Client

from apps.accounts.models import ApiKey
from apps.repair.services.applications import repair_application_submit, repair_application_withdraw
from apps.repair.services.objections import objection_submit

from .conftest import ingest_penalty, owner_files, travel

pytestmark = pytest.mark.django_db
CASES, OBJECTIONS = "/api/v1/repair/cases/", "/api/v1/repair/objections/"


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


def api(raw_key=None):
    return Client(headers={"Authorization": f"Api-Key {raw_key}"}) if raw_key else Client()


def key(department, scopes=("repair:read",)):
    return ApiKey.issue(name="执法办案系统", department=department, scopes=list(scopes))[1]


@pytest.fixture
def cases(owner, penalty, dept_a):
    (application,) = repair_application_submit(**owner_files(owner, penalty))
    objection = objection_submit(
        record=penalty,
        contact_name="李明",
        contact_phone="13900000000",
        contact_email="liming@example.com",
        relation="利害关系人",
        grounds="违法行为类型有误。",
        requested_change="应为虚假宣传",
    )
    return application, objection


def test_a_department_system_reads_its_open_cases(cases, dept_a, penalty):
    application, objection = cases
    client = api(key(dept_a))
    data = client.get(CASES).json()
    assert data["count"] == 1
    (row,) = data["results"]
    assert row["number"] == application.number and row["state"] == "submitted" and row["state_display"] == "待受理"
    assert row["department"] == dept_a.code and row["record_id"] == penalty.pk
    assert row["decision_number"] == penalty.decision_number and row["subject_code"] == penalty.subject.uscc
    assert row["due_on"] == application.due_on.isoformat() and row["url"].endswith(f"/repair/{application.pk}/")
    assert "contact_phone" not in row and "13800000000" not in json.dumps(data)
    (row,) = client.get(OBJECTIONS).json()["results"]
    assert row["number"] == objection.number and row["grounds"] == "违法行为类型有误。"
    assert row["requested_change"] == "应为虚假宣传" and "13900000000" not in json.dumps(row)
    # Filters: state among the open ones, due flag.
    assert client.get(CASES, {"state": "submitted"}).json()["count"] == 1
    assert client.get(CASES, {"state": "department_review"}).json()["count"] == 0
    assert client.get(CASES, {"state": "approved"}).status_code == 400
    assert client.get(CASES, {"due_flag": "overdue"}).json()["count"] == 0


def test_another_departments_key_sees_nothing_and_closed_cases_drop_out(cases, dept_a, dept_b, owner):
    application, _objection = cases
    other = api(key(dept_b))
    assert other.get(CASES).json()["count"] == 0 and other.get(OBJECTIONS).json()["count"] == 0
    # A department B record's case is B's alone.
    b_record = ingest_penalty(dept_b, 7)
    objection_submit(
        record=b_record,
        contact_name="王五",
        contact_phone="1",
        contact_email="w@example.com",
        relation="本人",
        grounds="有误",
    )
    assert other.get(OBJECTIONS).json()["count"] == 1 and api(key(dept_a)).get(OBJECTIONS).json()["count"] == 1
    repair_application_withdraw(application=application, actor=owner, reason="不再申请")
    assert api(key(dept_a)).get(CASES).json()["count"] == 0


def test_keys_need_the_scope_and_a_department(cases, dept_a):
    for raw, message in (
        (key(dept_a, scopes=("records:read",)), "repair:read"),
        (key(None), "未绑定部门"),
    ):
        response = api(raw).get(CASES)
        assert response.status_code == 403 and message in response.json()["detail"]
    assert api().get(CASES).status_code == 401
    assert api("nope.nope").get(CASES).status_code == 401


def test_staff_see_what_their_pages_show(cases, clerk_a, clerk_b, center, owner, client_for):
    assert client_for(clerk_a).get(CASES).json()["count"] == 1
    assert client_for(clerk_b).get(CASES).json()["count"] == 0
    assert client_for(center).get(OBJECTIONS).json()["count"] == 1
    assert client_for(owner).get(CASES).status_code == 403


def test_schema_documents_the_case_endpoints():
    schema = json.loads(Client().get("/api/v1/schema/", {"format": "json"}).content)
    cases = schema["paths"][CASES]["get"]
    assert cases["operationId"] == "repair_cases_list" and "repair:read" in cases["description"]
    assert {p["name"] for p in cases["parameters"]} >= {"state", "due_flag", "due_before", "limit", "offset"}
    assert schema["paths"][OBJECTIONS]["get"]["operationId"] == "repair_objections_list"

import json

import pytest
from django.test import Client

from apps.lists.models import CheckFeedback, CreditCheck
from apps.records.tests.factories import PERSON_ID_MASKED

from .checks_support import (
    PERSON_ID,
    WATCH,
    company_code,
    entry,
    ingest,
    issue_key,
    make_recogniser,
    person_entry,
    travel,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/credit-checks/"
FIGURES_URL = "/api/v1/credit-checks/figures/"


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


@pytest.fixture
def listed(dept_b):
    """Company 1 on a black list and a watch list."""
    make_recogniser(dept_b)
    ingest(dept_b, [entry(dept_b, 1), entry(dept_b, 2, list_type=WATCH, subject=1)])


@pytest.fixture
def hall_key(dept_a):
    return issue_key(dept_a)


def api(raw_key=None, client=None):
    return Client(headers={"Authorization": f"Api-Key {raw_key}"}) if raw_key else (client or Client())


def post(client, url, body):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, payload, content_type="application/json")


def feedback_url(check_id):
    return f"/api/v1/credit-checks/{check_id}/feedback/"


def test_hall_system_key_runs_a_check(listed, hall_key, dept_a):
    response = post(api(hall_key), URL, {"code": company_code(1), "matter": "licensing"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["found"] and body["channel"] == "api" and body["grade"] is None
    assert body["subject"]["public_code"] == company_code(1)
    assert [item["color"] for item in body["lists"]] == ["black", "watch"]
    assert [m["code"] for m in body["measures"]] == ["CJ-05"]
    check = CreditCheck.objects.get(pk=body["id"])
    assert check.api_key.department == dept_a and check.department == dept_a and check.user is None
    assert check.result == {k: v for k, v in body.items() if k not in ("id", "created_at", "channel")}


def test_check_by_name_and_unknown_subject(listed, hall_key):
    response = post(api(hall_key), URL, {"name": "乳山市核查测试建材有限公司1", "matter": "bidding"})
    assert response.status_code == 201 and response.json()["found"]
    response = post(api(hall_key), URL, {"code": "91371083MA7C9999X0", "matter": "bidding"})
    assert response.status_code == 201
    assert not response.json()["found"] and "未找到代码" in response.json()["message"]
    assert CreditCheck.objects.count() == 2


def test_key_without_the_scope_is_refused(dept_a):
    raw = issue_key(dept_a, scopes=["records:write"])
    response = post(api(raw), URL, {"code": company_code(1), "matter": "bidding"})
    assert response.status_code == 403 and "credit-check" in response.json()["detail"]
    assert not CreditCheck.objects.exists()


def test_anonymous_and_subject_accounts_are_refused(client_for, subject_user):
    assert post(Client(), URL, {"code": company_code(1), "matter": "bidding"}).status_code == 401
    assert post(client_for(subject_user), URL, {"code": company_code(1), "matter": "bidding"}).status_code == 403
    assert post(Client(), FIGURES_URL, {}).status_code == 401
    assert not CreditCheck.objects.exists()


def test_staff_session_runs_a_check(listed, client_for, clerk_a, center):
    for user in (clerk_a, center):
        response = post(client_for(user), URL, {"code": company_code(1), "matter": "bidding"})
        assert response.status_code == 201
        check = CreditCheck.objects.get(pk=response.json()["id"])
        assert check.user == user and check.department_id == user.department_id and check.api_key is None


def test_unknown_matter_lists_the_valid_codes(hall_key):
    response = post(api(hall_key), URL, {"code": company_code(1), "matter": "tender"})
    assert response.status_code == 400
    message = response.json()["matter"][0]
    assert "“tender”不存在" in message and "bidding（招标投标）" in message and "licensing" in message
    assert not CreditCheck.objects.exists()


def test_bad_bodies_are_explained(hall_key):
    response = post(api(hall_key), URL, {"matter": "bidding"})
    assert response.status_code == 400 and "code" in response.json()
    response = post(api(hall_key), URL, "{not json")
    assert response.status_code == 400 and "JSON" in response.json()["detail"]


def test_person_check_never_shows_the_id_number(dept_b, hall_key):
    from apps.subjects.services import subject_create

    make_recogniser(dept_b)
    subject_create(kind="person", name="王某某", id_number=PERSON_ID)
    ingest(dept_b, [person_entry(dept_b, 9, name="王某某")])
    response = post(api(hall_key), URL, {"code": PERSON_ID, "matter": "civil_service"})
    assert response.status_code == 201
    assert PERSON_ID not in response.content.decode().upper()
    body = response.json()
    assert body["subject"]["public_code"] == PERSON_ID_MASKED and body["query"] == PERSON_ID_MASKED
    assert [m["code"] for m in body["measures"]] == ["CJ-09"]


# --- feedback -----------------------------------------------------------------------------


def _check(raw_key, matter="licensing"):
    response = post(api(raw_key), URL, {"code": company_code(1), "matter": matter})
    assert response.status_code == 201
    return response.json()["id"]


def test_feedback_from_the_system_that_ran_the_check(listed, hall_key):
    check_id = _check(hall_key, matter="supervision")
    body = {"items": [{"measure": "CJ-07", "implemented": True, "reason": "已列为重点检查对象"}]}
    response = post(api(hall_key), feedback_url(check_id), body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "check_id": check_id,
        "items": [{"measure": "CJ-07", "implemented": True, "reason": "已列为重点检查对象"}],
        "complete": True,
    }
    # Reporting again updates the same feedback (idempotent per check and measure).
    body = {"items": [{"measure": "CJ-07", "implemented": False, "reason": "企业已撤回申请"}]}
    assert post(api(hall_key), feedback_url(check_id), body).status_code == 200
    feedback = CheckFeedback.objects.get()
    assert not feedback.implemented and feedback.reason == "企业已撤回申请" and feedback.api_key is not None


def test_feedback_needs_a_reason_when_not_implemented(listed, hall_key):
    check_id = _check(hall_key)
    response = post(api(hall_key), feedback_url(check_id), {"items": [{"measure": "CJ-05", "implemented": False}]})
    assert response.status_code == 400 and "必须填写原因" in json.dumps(response.json(), ensure_ascii=False)
    response = post(api(hall_key), feedback_url(check_id), {"items": [{"measure": "CJ-01", "implemented": True}]})
    assert response.status_code == 400 and "不在本次核查返回的措施中" in json.dumps(response.json(), ensure_ascii=False)
    assert post(api(hall_key), feedback_url(check_id), {"items": []}).status_code == 400
    assert not CheckFeedback.objects.exists()


def test_another_departments_key_cannot_report_feedback(listed, hall_key, dept_b):
    check_id = _check(hall_key)
    other = issue_key(dept_b, name="税务办税服务厅系统")
    body = {"items": [{"measure": "CJ-05", "implemented": True}]}
    response = post(api(other), feedback_url(check_id), body)
    assert response.status_code == 404
    assert not CheckFeedback.objects.exists()
    # A key of the same department without the scope is refused as well.
    no_scope = issue_key(dept_b, scopes=["records:read"], name="只读系统")
    assert post(api(no_scope), feedback_url(check_id), body).status_code == 403


def test_feedback_by_staff_of_the_department_or_the_center(listed, hall_key, client_for, clerk_a, clerk_b, center):
    check_id = _check(hall_key)
    body = {"items": [{"measure": "CJ-05", "implemented": True}]}
    assert post(client_for(clerk_b), feedback_url(check_id), body).status_code == 404
    assert post(client_for(clerk_a), feedback_url(check_id), body).status_code == 200
    assert post(client_for(center), feedback_url(check_id), body).status_code == 200
    assert CheckFeedback.objects.get().user == center
    assert post(client_for(center), feedback_url(999999), body).status_code == 404


# --- figures ---------------------------------------------------------------------------------


def test_figures_are_for_the_center(listed, hall_key, client_for, center, clerk_a):
    _check(hall_key)
    response = client_for(center).get(FIGURES_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["total"] == 1 and body["checks"]["by_channel"] == {"api": 1}
    assert body["serious_dishonesty"]["subjects"] == 1
    assert client_for(clerk_a).get(FIGURES_URL).status_code == 403
    assert api(hall_key).get(FIGURES_URL).status_code == 403
    response = client_for(center).get(FIGURES_URL, {"date_from": "2024-10-11", "date_to": "2024-10-01"})
    assert response.status_code == 400


def test_schema_documents_the_endpoints(client_for, admin_user):
    response = client_for(admin_user).get("/api/v1/schema/", {"format": "json"})
    paths = response.json()["paths"]
    assert {"/api/v1/credit-checks/", "/api/v1/credit-checks/{id}/feedback/", "/api/v1/credit-checks/figures/"} <= set(
        paths
    )
    assert paths["/api/v1/credit-checks/"]["post"]["requestBody"]["content"]["application/json"]["examples"]

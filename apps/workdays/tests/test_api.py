import pytest
from auditlog.models import LogEntry
from django.test import Client

from apps.workdays.models import CalendarOverride
from apps.workdays.services import MAX_DAYS

pytestmark = pytest.mark.django_db

DEADLINE = "/api/v1/workdays/deadline/"
OVERRIDES = "/api/v1/workdays/overrides/"


def test_deadline_is_public_and_follows_the_domain_example(client):
    response = client.get(DEADLINE, {"start": "2024-09-27", "days": "7"})
    assert response.status_code == 200
    assert response.json() == {"start": "2024-09-27", "days": 7, "deadline": "2024-10-12", "calendar": "official"}


def test_deadline_ignores_sessions_and_bad_keys(clerk_a):
    # A logged-in browser with CSRF checks on, or a stale API key, must not turn
    # the public calculator into a 401/403.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clerk_a, backend="django.contrib.auth.backends.ModelBackend")
    assert browser.get(DEADLINE, {"start": "2024-09-27", "days": 7}).status_code == 200
    response = Client().get(DEADLINE, {"start": "2024-09-27", "days": 7}, HTTP_AUTHORIZATION="Api-Key not-a-key")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [("2101-01-03", 5, "2101-01-10"), ("1949-01-03", 3, "1949-01-06")],
)
def test_deadline_in_a_year_neither_library_covers_is_labelled_fallback(client, start, days, deadline):
    body = client.get(DEADLINE, {"start": start, "days": days}).json()
    assert body == {"start": start, "days": days, "deadline": deadline, "calendar": "fallback"}


def test_an_override_entered_by_the_center_changes_the_public_answer(client, client_for, center):
    before = client.get(DEADLINE, {"start": "2027-01-04", "days": 5}).json()
    assert before["deadline"] == "2027-01-11"

    response = client_for(center).post(
        OVERRIDES,
        {"date": "2027-01-05", "kind": "holiday", "note": "2027年元旦放假通知"},
        content_type="application/json",
    )
    assert response.status_code == 201

    after = client.get(DEADLINE, {"start": "2027-01-04", "days": 5}).json()
    assert after == {"start": "2027-01-04", "days": 5, "deadline": "2027-01-12", "calendar": "estimated"}


@pytest.mark.parametrize(
    ("params", "problems"),
    [
        ({}, {"start": "请填写起算日期", "days": "请填写工作日天数"}),
        ({"start": "2024-13-01", "days": "-1"}, {"start": "不是有效日期", "days": "不能为负数"}),
        ({"start": "2024-09-27", "days": "abc"}, {"days": "必须是整数"}),
        ({"start": "27/09/2024", "days": "7"}, {"start": "YYYY-MM-DD"}),
        ({"start": "2024-09-27", "days": str(MAX_DAYS + 1)}, {"days": "不能超过"}),
        ({"days": "7"}, {"start": "请填写起算日期"}),
        ({"start": "9999-12-30", "days": "5"}, {"start": "超出了可支持的日期范围"}),
    ],
)
def test_bad_deadline_input_lists_every_problem_in_chinese(client, params, problems):
    response = client.get(DEADLINE, params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == set(problems)
    for field, fragment in problems.items():
        assert fragment in body[field][0], body


def test_override_list_is_for_center_staff_only(client, client_for, clerk_a, center, admin_user, subject_user):
    assert client.get(OVERRIDES).status_code in (401, 403)
    assert client_for(clerk_a).get(OVERRIDES).status_code == 403
    assert client_for(subject_user).get(OVERRIDES).status_code == 403
    assert client_for(center).get(OVERRIDES).status_code == 200
    assert client_for(admin_user).get(OVERRIDES).status_code == 200


def test_only_center_staff_may_post_overrides(client, client_for, clerk_a, center):
    payload = {"date": "2027-01-05", "kind": "holiday", "note": ""}
    assert client.post(OVERRIDES, payload, content_type="application/json").status_code in (401, 403)
    response = client_for(clerk_a).post(OVERRIDES, payload, content_type="application/json")
    assert response.status_code == 403
    assert "信用中心" in response.json()["detail"]
    assert not CalendarOverride.objects.exists()
    assert client_for(center).post(OVERRIDES, payload, content_type="application/json").status_code == 201


def test_posting_the_same_date_again_updates_it(client_for, center):
    api = client_for(center)
    first = api.post(
        OVERRIDES, {"date": "2027-02-06", "kind": "workday", "note": "春节调休"}, content_type="application/json"
    )
    assert first.status_code == 201
    assert first.json()["kind_display"] == "调休上班（工作日）"
    assert first.json()["created_by"] == "center"

    second = api.post(
        OVERRIDES, {"date": "2027-02-06", "kind": "holiday", "note": "更正"}, content_type="application/json"
    )
    assert second.status_code == 200
    assert second.json()["kind"] == "holiday"
    assert CalendarOverride.objects.get().note == "更正"


def test_override_list_filters_by_year(client_for, center):
    api = client_for(center)
    for day in ("2026-10-09", "2027-01-05", "2027-02-06"):
        api.post(OVERRIDES, {"date": day, "kind": "holiday"}, content_type="application/json")
    body = api.get(OVERRIDES, {"year": 2027}).json()
    assert body["count"] == 2
    assert [row["date"] for row in body["results"]] == ["2027-01-05", "2027-02-06"]


def test_override_validation_errors_are_chinese_and_complete(client_for, center):
    response = client_for(center).post(
        OVERRIDES, {"date": "2027-02-30", "kind": "weekend", "note": "长" * 201}, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"date", "kind", "note"}
    assert "不是有效日期" in body["date"][0]
    assert "holiday" in body["kind"][0]
    assert "200" in body["note"][0]

    empty = client_for(center).post(OVERRIDES, {}, content_type="application/json").json()
    assert "请填写日期" in empty["date"][0]
    assert "请选择类型" in empty["kind"][0]


def test_delete_override_by_date(client, client_for, clerk_a, center):
    api = client_for(center)
    api.post(OVERRIDES, {"date": "2027-01-05", "kind": "holiday"}, content_type="application/json")
    url = f"{OVERRIDES}2027-01-05/"
    assert client.delete(url).status_code in (401, 403)
    assert client_for(clerk_a).delete(url).status_code == 403
    assert api.get(url).json()["kind"] == "holiday"
    assert api.delete(url).status_code == 204
    assert not CalendarOverride.objects.exists()
    assert api.delete(url).status_code == 404
    assert api.delete(f"{OVERRIDES}2024-13-01/").status_code == 404


def test_api_changes_are_audit_logged_with_the_actor(client_for, center):
    api = client_for(center)
    api.post(OVERRIDES, {"date": "2027-01-05", "kind": "holiday"}, content_type="application/json")
    override = CalendarOverride.objects.get()
    created = LogEntry.objects.get_for_object(override).get(action=LogEntry.Action.CREATE)
    assert created.actor == center
    assert created.remote_addr == "127.0.0.1"

    api.delete(f"{OVERRIDES}2027-01-05/")
    deleted = LogEntry.objects.get(object_pk=str(override.pk), action=LogEntry.Action.DELETE)
    assert deleted.actor == center


def test_schema_describes_the_workdays_endpoints(client_for, admin_user):
    response = client_for(admin_user).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    deadline = paths["/api/v1/workdays/deadline/"]["get"]
    assert {p["name"] for p in deadline["parameters"]} == {"start", "days"}
    assert "Deadline" in deadline["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "400" in deadline["responses"]
    assert {"get", "post"} <= set(paths["/api/v1/workdays/overrides/"])
    assert "delete" in paths["/api/v1/workdays/overrides/{date}/"]


def test_requests_leave_no_audit_signal_receivers_behind(client_for, center):
    # set_actor inside the request's own auditlog context must hand that context
    # back, or the middleware disconnects the wrong receiver and leaks one per request.
    from django.db.models.signals import pre_save

    api = client_for(center)
    api.post(OVERRIDES, {"date": "2027-01-05", "kind": "holiday"}, content_type="application/json")
    before = len(pre_save.receivers)
    for kind in ("workday", "holiday", "workday"):
        api.post(OVERRIDES, {"date": "2027-01-05", "kind": kind}, content_type="application/json")
    assert len(pre_save.receivers) == before


def test_anonymous_api_write_is_refused_with_401(client):
    response = client.post(OVERRIDES, {"date": "2027-01-05", "kind": "holiday"}, content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"

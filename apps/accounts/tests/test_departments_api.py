import pytest
from auditlog.models import LogEntry

pytestmark = pytest.mark.django_db


def test_directory_is_public_and_holds_no_personal_data(client, dept_a, dept_b, clerk_a):
    response = client.get("/api/v1/departments/")
    assert response.status_code == 200
    rows = response.json()
    assert [row["code"] for row in rows] == ["scjgj", "swj"]
    assert set(rows[0]) == {"code", "name", "uscc", "region_code", "powers"}
    assert {p["code"] for p in rows[0]["powers"]} == {"license", "penalty"}
    body = response.content.decode()
    assert "clerk_a" not in body


def test_directory_filters_by_power(client, dept_a, dept_b):
    rows = client.get("/api/v1/departments/?power=list").json()
    assert [row["code"] for row in rows] == ["swj"]


def test_department_change_is_audit_logged_with_before_and_after(dept_a, center):
    from auditlog.context import set_actor

    with set_actor(center):
        dept_a.name = "乳山市市场监管局"
        dept_a.save()
    entry = LogEntry.objects.get_for_object(dept_a).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == center
    assert entry.changes_dict["name"] == ["乳山市市场监督管理局", "乳山市市场监管局"]

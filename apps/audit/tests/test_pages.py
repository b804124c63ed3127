import pytest
from django.urls import reverse

from apps.audit.services import personal_data_access_record
from apps.subjects.services import subject_create

pytestmark = pytest.mark.django_db


def test_center_reads_the_access_log_and_clerks_cannot(client_for, center, clerk_a):
    person = subject_create(kind="person", name="刘洋", id_number="11010519491231002X")
    personal_data_access_record(user=center, subject=person, field="id_number", reason="核实异议申请", remote_addr=None)
    page = client_for(center).get(reverse("audit:personal_data"))
    assert "核实异议申请" in page.content.decode()
    assert "11010519491231002X" not in page.content.decode()
    assert client_for(clerk_a).get(reverse("audit:personal_data")).status_code == 403
    assert client_for(clerk_a).get(reverse("audit:log")).status_code == 403


def test_audit_log_shows_before_and_after(client_for, center, dept_a):
    from auditlog.context import set_actor

    with set_actor(center):
        dept_a.name = "乳山市市场监督管理局（更名）"
        dept_a.save()
    html = client_for(center).get(reverse("audit:log")).content.decode()
    assert "乳山市市场监督管理局（更名）" in html and "center" in html


def test_audit_log_reads_in_chinese_with_local_times(client_for, center, dept_a):
    """Labels, not field names; 是/否, not True/False; Asia/Shanghai, not UTC; 新增/修改, not create/update."""
    import datetime
    from zoneinfo import ZoneInfo

    import time_machine
    from auditlog.context import set_actor

    from apps.accounts.models import User

    with time_machine.travel(datetime.datetime(2026, 12, 7, 1, 30, tzinfo=datetime.UTC), tick=False), set_actor(center):
        dept_a.requires_review = True
        dept_a.save()
        user = User.objects.create(username="li_clerk", role="clerk", department=dept_a)
        user.last_login = None
        user.date_joined = datetime.datetime(2026, 12, 7, 1, 30, tzinfo=datetime.UTC)
        user.save()
    html = client_for(center).get(reverse("audit:log")).content.decode()
    label = str(type(dept_a)._meta.get_field("requires_review").verbose_name)
    assert f"<strong>{label}</strong>：否 → 是" in html
    assert "requires_review" not in html and "True" not in html and "False" not in html and "None" not in html
    assert "新增" in html and "修改" in html
    for word in (">create<", ">update<"):
        assert word not in html
    local = datetime.datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%Y-%m-%d %H:%M") in html


def test_audit_log_names_relations_and_hides_structured_codes(client_for, center, dept_a, powers):
    """Many-to-many changes read as 增加/移除 (not "type → operation"), fields without a Chinese verbose name
    are named in words ("created at" was on screen), and JSON values do not spell out their code-name keys."""
    from auditlog.context import set_actor

    from apps.catalog.models import Policy

    with set_actor(center):
        dept_a.powers.remove(powers["penalty"])
        policy = Policy.objects.first()
        policy.value = {"secret_code_name": 1}
        policy.save()
        dept_a.name = "乳山市市场监督管理局（更名）"
        dept_a.save()
    html = client_for(center).get(reverse("audit:log")).content.decode()
    assert "移除：行政处罚" in html
    assert "<strong>取值</strong>：（结构化数据） → （结构化数据）" in html
    assert "secret_code_name&#x27;: 1}</div>" not in html  # (the policy's own name still shows its value)
    for raw in ("operation", "objects", "created at", "updated at", "requester"):
        assert raw not in html, raw

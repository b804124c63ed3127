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

import pytest
from django.urls import reverse

from apps.audit.models import PersonalDataAccess
from apps.audit.services import personal_data_access_record
from apps.subjects.choices import SubjectKind
from apps.subjects.services import subject_create


@pytest.fixture
def access(db, center):
    person = subject_create(kind=SubjectKind.PERSON, name="张三", id_number="37108319900119123X")
    return personal_data_access_record(
        user=center, subject=person, field="id_number", reason="  核实身份  ", remote_addr="10.0.0.8"
    )


def test_record(access, center):
    assert (access.user, access.field, access.reason, access.remote_addr) == (
        center,
        "id_number",
        "核实身份",
        "10.0.0.8",
    )
    assert access.accessed_at is not None


def test_record_without_address(db, center):
    person = subject_create(kind=SubjectKind.PERSON, name="李四", id_number="37108319900119123X")
    row = personal_data_access_record(user=center, subject=person, field="id_number", reason="核实", remote_addr="")
    assert row.remote_addr is None


def test_admin_is_read_only(client_for, admin_user, access):
    client = client_for(admin_user)
    assert client.get(reverse("admin:audit_personaldataaccess_changelist")).status_code == 200
    change_url = reverse("admin:audit_personaldataaccess_change", args=[access.pk])
    page = client.get(change_url)
    assert page.status_code == 200  # viewable …
    assert 'name="reason"' not in page.content.decode()  # … but not as a form
    assert client.get(reverse("admin:audit_personaldataaccess_add")).status_code == 403
    assert client.post(change_url, {"reason": "改掉"}).status_code == 403
    assert (
        client.post(reverse("admin:audit_personaldataaccess_delete", args=[access.pk]), {"post": "yes"}).status_code
        == 403
    )
    access.refresh_from_db()
    assert access.reason == "核实身份"
    assert PersonalDataAccess.objects.count() == 1


def test_admin_offers_no_bulk_delete(client_for, admin_user, access):
    page = client_for(admin_user).get(reverse("admin:audit_personaldataaccess_changelist")).content.decode()
    assert "delete_selected" not in page

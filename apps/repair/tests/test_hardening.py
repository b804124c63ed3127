"""Hardening of the public objection form and the material storage: rate limit, no orphan files."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.repair.models import Material, Objection, RepairApplication
from apps.repair.services import applications, notices, objections

from .conftest import owner_files, pdf_file, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


def objection_post(**extra):
    return {
        "contact_name": "李明",
        "contact_phone": "13900000000",
        "contact_email": "liming@example.com",
        "relation": "利害关系人",
        "grounds": "处罚对象弄错了。",
        **extra,
    }


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


# --- rate limit on the anonymous objection form ---------------------------------------------------


def test_anonymous_objections_over_the_limit_get_the_friendly_429_page(penalty, settings):
    settings.PORTAL_RATE_OBJECTION = "2/h"
    url = reverse("repair:objection_create", args=[penalty.pk])
    client = Client()
    assert [client.post(url, objection_post()).status_code for _ in range(2)] == [200, 200]
    response = client.post(url, objection_post())
    assert response.status_code == 429 and response["Retry-After"]
    assert "访问过于频繁" in response.content.decode()
    assert Objection.objects.count() == 2
    # Reading the form is not counted; another address is not affected.
    assert client.get(url).status_code == 200
    assert Client(REMOTE_ADDR="10.0.0.9").post(url, objection_post()).status_code == 200
    assert Objection.objects.count() == 3


def test_subject_accounts_are_not_limited_by_the_public_rate(owner, penalty, settings, client_for):
    settings.PORTAL_RATE_OBJECTION = "1/h"
    url = reverse("repair:objection_create", args=[penalty.pk])
    assert Client().post(url, objection_post()).status_code == 200
    assert Client().post(url, objection_post()).status_code == 429
    assert client_for(owner).post(url, objection_post()).status_code == 302


def test_objection_limit_can_be_switched_off(penalty, settings):
    settings.PORTAL_RATE_OBJECTION = "1/h"
    settings.RATELIMIT_ENABLE = False
    url = reverse("repair:objection_create", args=[penalty.pk])
    client = Client()
    assert {client.post(url, objection_post()).status_code for _ in range(3)} == {200}


# --- a submission rolled back leaves no file behind ---------------------------------------------


def _fail(*args, **kwargs):
    raise RuntimeError("notification service down")


def test_failed_repair_submission_leaves_no_file(owner, penalty, private_media, monkeypatch):
    monkeypatch.setattr(applications, "notification_send", _fail)  # fails after the materials were written
    with pytest.raises(RuntimeError):
        applications.repair_application_submit(**owner_files(owner, penalty))
    assert not RepairApplication.objects.exists() and not Material.objects.exists()
    assert stored_files(private_media) == []


def test_failed_objection_submission_leaves_no_file(penalty, private_media, monkeypatch):
    monkeypatch.setattr(objections, "notification_send", _fail)
    with pytest.raises(RuntimeError):
        objections.objection_submit(
            record=penalty,
            contact_name="李明",
            contact_phone="13900000000",
            contact_email="liming@example.com",
            relation="利害关系人",
            grounds="处罚对象弄错了。",
            evidence=pdf_file("证据.pdf"),
        )
    assert not Objection.objects.exists() and stored_files(private_media) == []


def test_failed_supplement_leaves_no_file_but_keeps_earlier_ones(owner, center, penalty, private_media, monkeypatch):
    (application,) = applications.repair_application_submit(**owner_files(owner, penalty))
    applications.repair_application_request_supplement(application=application, actor=center, request="请补充缴款凭证")
    before = sorted(stored_files(private_media))
    assert len(before) == 2
    monkeypatch.setattr(applications, "notification_send", _fail)
    with pytest.raises(RuntimeError):
        applications.repair_application_supplement(
            application=application, actor=owner, materials=[("fulfilment", pdf_file("补充.pdf"))]
        )
    assert sorted(stored_files(private_media)) == before and application.materials.count() == 2


def test_successful_submission_keeps_its_files(owner, penalty, private_media):
    applications.repair_application_submit(**owner_files(owner, penalty))
    assert len(stored_files(private_media)) == Material.objects.count() == 2


# --- hall staff find a natural person by ID number ----------------------------------------------


@pytest.fixture
def person_penalty(penalty):
    from apps.records.models import Record
    from apps.subjects.tests.factories import make_person

    person = make_person("王芳")
    Record.objects.filter(pk=penalty.pk).update(subject=person)
    return person, penalty


def test_hall_staff_find_a_person_by_id_number_masked_and_logged(person_penalty, center, client_for):
    from apps.audit.models import PersonalDataAccess
    from apps.subjects.tests.factories import ID_NUMBER, ID_NUMBER_MASKED

    person, penalty = person_penalty
    client = client_for(center)
    url = reverse("repair:apply")
    response = client.post(url, {"lookup": "1", "code": ID_NUMBER.lower()})
    html = response.content.decode()
    assert response.status_code == 200 and "王芳" in html and penalty.decision_number in html
    assert ID_NUMBER not in html and ID_NUMBER.lower() not in html and ID_NUMBER_MASKED in html
    assert "no-cache" in response["Cache-Control"]
    (access,) = PersonalDataAccess.objects.all()
    assert (access.user, access.subject, access.field) == (center, person, "id_number")
    assert access.reason == applications.ON_BEHALF_LOOKUP_REASON and access.remote_addr == "127.0.0.1"
    # The application form carries the subject's key, never the number.
    assert f'name="subject" value="{person.pk}"' in html
    response = client.post(
        url,
        {
            "subject": person.pk,
            "records": [penalty.pk],
            "contact_name": "王芳",
            "contact_phone": "13800000000",
            "statement": "罚款已缴清",
            "commitment": pdf_file(),
            "fulfilment": pdf_file("凭证.pdf"),
        },
    )
    assert response.status_code == 302
    application = RepairApplication.objects.get()
    assert application.subject == person and application.entered_by == center and application.applicant is None


def test_id_number_lookups_that_find_nobody_or_come_by_url(person_penalty, center, client_for):
    from apps.audit.models import PersonalDataAccess
    from apps.subjects.tests.factories import ID_NUMBER, id_number

    client = client_for(center)
    url = reverse("repair:apply")
    other = id_number("37108319850203004")
    html = client.post(url, {"lookup": "1", "code": other}).content.decode()
    assert "未找到身份证号码为 371083********" in html and other not in html
    mistyped = ID_NUMBER[:-1] + ("1" if ID_NUMBER[-1] != "1" else "2")
    html = client.post(url, {"lookup": "1", "code": mistyped}).content.decode()
    assert "既不是有效的统一社会信用代码，也不是有效的身份证号码" in html and mistyped not in html
    # A number in the address is neither looked up nor echoed.
    html = client.get(url, {"code": ID_NUMBER}).content.decode()
    assert ID_NUMBER not in html and "王芳" not in html and "查找主体" in html
    assert not PersonalDataAccess.objects.exists()


def test_only_hall_staff_may_look_subjects_up(person_penalty, clerk_a, client_for):
    from apps.subjects.tests.factories import ID_NUMBER

    assert client_for(clerk_a).post(reverse("repair:apply"), {"lookup": "1", "code": ID_NUMBER}).status_code == 403


# --- bulk 告知书 built by a Celery task ------------------------------------------------------------


PERIOD = {"date_from": "2024-09-01", "date_to": "2024-09-30"}


def test_bulk_notices_are_queued_with_progress_scoped_to_the_department(
    penalty, dept_a, clerk_a, clerk_b, center, client_for, django_capture_on_commit_callbacks
):
    from apps.notifications.models import Notification
    from apps.repair.choices import BatchState
    from apps.repair.models import NoticeBatch

    client = client_for(clerk_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("repair:notices"), PERIOD)
    batch = NoticeBatch.objects.get()
    assert response.status_code == 302 and batch.state == BatchState.QUEUED and batch.total == 1
    page = client.get(reverse("repair:notice_batch", args=[batch.pk])).content.decode()
    assert "正在生成" in page and "js/upload-progress.js" in page and "<script>" not in page
    progress = reverse("repair:notice_batch_progress", args=[batch.pk])
    assert client.get(progress).json() == {
        "state": "queued",
        "state_display": "排队中",
        "done": 0,
        "total": 1,
        "percent": 0,
        "finished": False,
    }
    assert client.get(reverse("repair:notice_batch_download", args=[batch.pk])).status_code == 404  # not yet
    for callback in callbacks:
        callback()  # the worker picks the task up
    assert client.get(progress).json()["finished"] is True
    assert Notification.objects.filter(user=clerk_a, title__contains="告知书已生成").exists()
    # Another department sees neither the batch nor its file; the center sees it.
    other = client_for(clerk_b)
    for name in ("repair:notice_batch", "repair:notice_batch_progress", "repair:notice_batch_download"):
        assert other.get(reverse(name, args=[batch.pk])).status_code == 404
    assert client_for(center).get(reverse("repair:notice_batch_download", args=[batch.pk])).status_code == 200
    assert reverse("repair:notice_batch", args=[batch.pk]) not in other.get(reverse("repair:notices")).content.decode()


def test_bulk_notices_refused_when_empty_or_over_the_cap(penalty, dept_a, clerk_a, client_for, settings):
    from apps.repair.models import NoticeBatch

    client = client_for(clerk_a)
    empty = client.post(reverse("repair:notices"), {"date_from": "2023-01-01", "date_to": "2023-01-31"})
    assert empty.status_code == 400 and "该期间没有需要送达告知书的行政处罚" in empty.content.decode()
    settings.REPAIR_NOTICE_BULK_MAX = 1
    from .conftest import ingest_penalty

    ingest_penalty(dept_a, 2)
    over = client.post(reverse("repair:notices"), PERIOD)
    assert over.status_code == 400 and "本次共 2 份，超过每次 1 份上限" in over.content.decode()
    assert not NoticeBatch.objects.exists()


def test_a_failed_batch_shows_its_error(penalty, clerk_a, client_for, monkeypatch):
    from apps.repair import documents
    from apps.repair.choices import BatchState
    from apps.repair.models import NoticeBatch

    batch = NoticeBatch.objects.create(requested_by=clerk_a, department=clerk_a.department, total=1, **PERIOD)
    monkeypatch.setattr(documents, "repair_notice_pdf", _fail)
    notices.notice_batch_build(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.state == BatchState.FAILED and "生成失败" in batch.error and not batch.file
    page = client_for(clerk_a).get(reverse("repair:notice_batch", args=[batch.pk])).content.decode()
    # The clerk sees that it failed and whom to ask; the exception text stays in the log.
    assert "生成失败" in page and "notification service down" not in page

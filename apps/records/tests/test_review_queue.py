"""A department reviewer sees what waits for review and is told when something joins the queue (issue 16 item 8)."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.catalog.models import RecordType
from apps.notifications.models import Notification
from apps.records.choices import Source, Status
from apps.records.intake.services import upload_create, upload_process
from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.workflow import record_approve, record_submit

from .factories import penalty_row
from .upload_support import csv_bytes, labels, penalty_cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewing(dept_a):
    dept_a.requires_review = True
    dept_a.save()
    return dept_a


def test_one_notice_per_intake_to_the_reviewers(reviewing, reviewer_a, clerk_a):
    rows = [(n, penalty_row(reviewing, n)) for n in range(1, 4)]
    records_ingest(record_type="penalty", department=reviewing, rows=rows, source=Source.API)
    notice = Notification.objects.get(user=reviewer_a)
    assert notice.title == "3 条信用信息待审核" and notice.url.endswith("?status=pending_review")
    assert not Notification.objects.filter(user=clerk_a).exists()


def test_a_draft_submitted_for_review_notifies(reviewing, reviewer_a, clerk_a):
    records_ingest(record_type="penalty", department=reviewing, rows=[(None, penalty_row(reviewing))], submit=False)
    assert not Notification.objects.exists()
    record_submit(record=Record.objects.get(), actor=clerk_a)
    assert Notification.objects.get(user=reviewer_a).title == "1 条信用信息待审核"


def test_departments_that_publish_directly_send_nothing(dept_a, reviewer_a):
    records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a))])
    assert Record.objects.get().status == Status.PUBLISHED and not Notification.objects.exists()


def test_an_upload_notifies_once_when_it_finishes(reviewing, reviewer_a, clerk_a):
    data = csv_bytes([labels(), penalty_cells(reviewing, 1), penalty_cells(reviewing, 2)])
    upload = upload_create(
        uploaded_file=SimpleUploadedFile("处罚.csv", data),
        record_type=RecordType.objects.get(code="penalty"),
        department=reviewing,
        user=clerk_a,
    )
    upload_process(upload.pk)
    assert Record.objects.filter(status=Status.PENDING_REVIEW).count() == 2
    assert list(Notification.objects.values_list("title", flat=True)) == ["2 条信用信息待审核"]


@time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_workbench_shows_the_queue(client_for, reviewing, reviewer_a, clerk_a, center):
    rows = [(n, penalty_row(reviewing, n)) for n in range(1, 3)]
    records_ingest(record_type="penalty", department=reviewing, rows=rows)
    html = client_for(reviewer_a).get(reverse("accounts:home")).content.decode()
    assert "<strong>2</strong> 条信用信息待审核" in html and "?status=pending_review" in html
    assert "条信用信息待审核" in client_for(center).get(reverse("accounts:home")).content.decode()
    assert "review-queue" not in client_for(clerk_a).get(reverse("accounts:home")).content.decode()
    for record in Record.objects.all():
        record_approve(record=record, reviewer=reviewer_a)
    assert "暂无待审核的信用信息" in client_for(reviewer_a).get(reverse("accounts:home")).content.decode()

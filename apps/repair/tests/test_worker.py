"""A real Celery worker against Redis flags due-soon and overdue cases and escalates the overdue one."""

import time

import pytest
from celery import Celery
from django.utils import timezone

from apps.notifications.models import Notification
from apps.repair.choices import DueFlag
from apps.repair.models import RepairApplication
from apps.repair.services.applications import repair_application_submit
from tests.test_celery_worker import BROKER

from .conftest import ingest_penalty, materials, travel

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_worker_flags_and_escalates_overdue_cases(worker, owner, penalty, dept_a, center):
    with travel():  # filed on 2025-03-03: long overdue by the worker's (real) today
        second = ingest_penalty(dept_a, 2, CF_XDR_MC=owner.subject.name, CF_XDR_SHXYM=owner.subject.uscc)
        overdue, soon = repair_application_submit(
            records=[penalty, second],
            subject=owner.subject,
            applicant=owner,
            contact_name="张伟",
            contact_phone="13800000000",
            statement="已缴清",
            materials=materials(),
        )
    RepairApplication.objects.filter(pk=soon.pk).update(due_on=timezone.localdate())

    client = Celery(broker=BROKER, backend=BROKER)
    result = client.send_task("apps.repair.tasks.flag_due_cases", queue="default")
    deadline = time.monotonic() + 90
    while not result.ready() and time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail("worker exited early:\n" + worker.stdout.read())
        time.sleep(0.5)
    assert result.ready(), "the worker did not finish the task in 90 s"
    assert result.get(timeout=5) == {"due_soon": 1, "overdue": 1, "escalated": 1}
    overdue.refresh_from_db()
    soon.refresh_from_db()
    assert overdue.due_flag == DueFlag.OVERDUE and overdue.escalated_at is not None
    assert soon.due_flag == DueFlag.DUE_SOON and soon.escalated_at is None
    note = Notification.objects.get(user=center, title__startswith="超期督办")
    assert overdue.number in note.body and soon.number not in note.body

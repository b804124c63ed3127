"""Bulk 告知书 on several bulk workers: a delivery that finds the batch claimed by another worker's session
(credit_portal/claims.py) builds nothing and notifies nobody; the holder's session gone, it is built once."""

import time

import psycopg
import pytest
from django.db import connection

from apps.notifications.models import Notification
from apps.repair.choices import BatchState
from apps.repair.models import NoticeBatch
from apps.repair.services import notices
from credit_portal.claims import claims_held

from .conftest import travel

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's"),
]
PERIOD = {"date_from": "2024-09-01", "date_to": "2024-09-30"}


def test_a_batch_another_worker_builds_is_left_to_it(penalty, clerk_a):
    batch = NoticeBatch.objects.create(requested_by=clerk_a, department=clerk_a.department, total=1, **PERIOD)
    s = connection.settings_dict
    other_worker = psycopg.connect(
        dbname=s["NAME"], user=s["USER"] or "postgres", host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432
    )
    other_worker.autocommit = True
    other_worker.execute("SELECT pg_advisory_lock(%s, %s)", [notices.NOTICE_BATCH_LOCK_SPACE, batch.pk])
    try:
        with travel():
            assert notices.notice_batch_build(batch_id=batch.pk).state == BatchState.QUEUED
        assert not NoticeBatch.objects.get(pk=batch.pk).file
        assert not Notification.objects.filter(title__contains="告知书已生成").exists()
    finally:
        other_worker.close()  # its worker died: the claim goes with the session, a moment after it hung up
    deadline = time.monotonic() + 10
    while claims_held(notices.NOTICE_BATCH_LOCK_SPACE, [batch.pk]) and time.monotonic() < deadline:
        time.sleep(0.05)
    with travel():
        assert notices.notice_batch_build(batch_id=batch.pk).state == BatchState.DONE
    assert Notification.objects.filter(user=clerk_a, title__contains="告知书已生成").count() == 1

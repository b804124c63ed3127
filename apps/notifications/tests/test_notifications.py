"""The notification centre: who is notified, what reaches them by e-mail, and marking as read."""

import pytest
from django.core import mail
from django.urls import reverse

from apps.notifications.models import Notification
from apps.notifications.services import center_staff, department_reviewers, notification_send

pytestmark = pytest.mark.django_db


def test_active_users_get_one_notification_each_and_one_mail_each(
    clerk_a, reviewer_a, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_SITE_URL = "https://xy.example.gov.cn"
    clerk_a.email, reviewer_a.email = "clerk@example.gov.cn", "reviewer@example.gov.cn"
    clerk_a.save()
    reviewer_a.is_active = False
    reviewer_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        rows = notification_send(
            users=[clerk_a, clerk_a, reviewer_a, None],
            title="信用修复申请待核实",
            body="请核实",
            url="/repair/1/",
            emails=["public@example.com"],
        )
    assert [n.user for n in rows] == [clerk_a]  # once, and never to an inactive account
    assert sorted(m.to[0] for m in mail.outbox) == ["clerk@example.gov.cn", "public@example.com"]  # one mail each
    assert all("详情：https://xy.example.gov.cn/repair/1/" in m.body for m in mail.outbox)
    assert Notification.objects.get().emailed


def test_reviewers_of_a_department_or_its_clerks_while_it_has_none(dept_a, clerk_a, reviewer_a, center):
    assert list(department_reviewers(dept_a)) == [reviewer_a]
    reviewer_a.is_active = False
    reviewer_a.save()
    assert list(department_reviewers(dept_a)) == [clerk_a]
    assert center in center_staff()


def test_a_user_marks_their_own_notifications_read_and_no_one_elses(client_for, clerk_a, reviewer_a):
    mine = notification_send(users=[clerk_a], title="一")[0]
    theirs = notification_send(users=[reviewer_a], title="二")[0]
    client = client_for(clerk_a)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "一" in page and "二" not in page
    client.post(reverse("notifications:read", args=[theirs.pk]))
    client.post(reverse("notifications:read", args=[mine.pk]))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None

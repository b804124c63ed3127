"""Notifications: a row in each recipient's notification centre, and the same text by e-mail.

E-mail goes through Django's e-mail backend (console in the embedded default)
from a Celery task queued after the transaction commits, so a rolled-back
workflow action never sends mail and a slow mail server never holds up a page.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import User
from credit_portal.site_url import public_url

from .models import Notification


def notification_send(
    *, users: Iterable = (), title: str, body: str = "", url: str = "", emails: Iterable[str] = ()
) -> list[Notification]:
    """Notify users in-app (and by e-mail where they have an address); ``emails`` reach people without an account."""
    recipients = {u.pk: u for u in users if u is not None and getattr(u, "pk", None) and u.is_active}
    rows = Notification.objects.bulk_create(
        [Notification(user=u, title=title[:200], body=body, url=url[:300]) for u in recipients.values()]
    )
    addresses = sorted({u.email for u in recipients.values() if u.email} | {e for e in emails if e})
    if addresses:
        ids = [n.pk for n in rows if n.user.email]
        transaction.on_commit(lambda: _queue_email(addresses, title, body, url, ids))
    return rows


def _queue_email(addresses, title, body, url, ids):
    from .tasks import send_notification_email

    send_notification_email.delay(addresses=addresses, title=title, body=body, url=url, notification_ids=ids)


def notification_email(*, addresses: list[str], title: str, body: str, url: str = "", notification_ids=()) -> int:
    link = f"\n\n详情：{public_url(url)}" if url.startswith("/") else ""
    text = f"{body}{link}\n\n—— {settings.SITE_NAME}公共信用信息平台（本邮件由系统自动发送，请勿回复）"
    sent = 0
    for address in addresses:  # one mail each: recipients never see one another's addresses
        sent += send_mail(f"【{settings.SITE_NAME}】{title}", text, None, [address])
    Notification.objects.filter(pk__in=list(notification_ids)).update(emailed=True)
    return sent


def center_staff():
    return User.objects.filter(role__in=(Role.CENTER, Role.ADMIN), is_active=True)


def department_reviewers(department):
    """Who verifies for a department: its reviewers (its clerks when it has none yet)."""
    reviewers = User.objects.filter(department=department, role=Role.REVIEWER, is_active=True)
    if reviewers.exists():
        return reviewers
    return User.objects.filter(department=department, role=Role.CLERK, is_active=True)


def notifications_mark_read(*, user, ids=None) -> int:
    qs = Notification.objects.filter(user=user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())

"""Sending a notification by e-mail: the body of the ``send_notification_email`` task (below both services and tasks)."""

from django.conf import settings
from django.core.mail import send_mail

from credit_portal.site_url import public_url

from .models import Notification


def notification_email(*, addresses: list[str], title: str, body: str, url: str = "", notification_ids=()) -> int:
    link = f"\n\n详情：{public_url(url)}" if url.startswith("/") else ""
    text = f"{body}{link}\n\n—— {settings.SITE_NAME}公共信用信息平台（本邮件由系统自动发送，请勿回复）"
    sent = 0
    for address in addresses:  # one mail each: recipients never see one another's addresses
        sent += send_mail(f"【{settings.SITE_NAME}】{title}", text, None, [address])
    Notification.objects.filter(pk__in=list(notification_ids)).update(emailed=True)
    return sent

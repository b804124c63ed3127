from celery import shared_task

from .email import notification_email


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(*, addresses, title, body, url="", notification_ids=()):
    return notification_email(addresses=addresses, title=title, body=body, url=url, notification_ids=notification_ids)

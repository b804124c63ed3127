"""The department reviewer's queue: what waits for review, and a notice when something joins it.

A department that reviews before publishing (``Department.requires_review``)
holds submitted records in 待部门审核; its reviewers had nothing telling them so.
Each intake that puts records in the queue sends one notification per intake
(not one per record): a form save or submission, an API batch, an upload.
"""

from django.urls import reverse

from apps.notifications.services import department_reviewers, notification_send

from .choices import Status
from .models import Record


def review_queue_url() -> str:
    return f"{reverse('records:list')}?status={Status.PENDING_REVIEW}"


def awaiting_review(user):
    """Records waiting for review that ``user`` may review: their department's, or all for the credit center."""
    qs = Record.objects.filter(status=Status.PENDING_REVIEW)
    if user.is_center:
        return qs
    if not user.is_reviewer or not user.department_id:
        return qs.none()
    return qs.filter(department_id=user.department_id)


def review_queue_notify(*, department, count: int, what: str = "") -> None:
    if count <= 0:
        return
    notification_send(
        users=department_reviewers(department),
        title=f"{count} 条信用信息待审核",
        body=f"{what or '新报送的信用信息'}共 {count} 条，审核通过后上网公示。公示及时率按上网公示之日计算，请尽快审核。",
        url=review_queue_url(),
    )

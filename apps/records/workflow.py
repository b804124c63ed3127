"""A record's workflow after intake: submit (to review, or straight to publication), approve, return, revoke.

Each action checks the state it starts from, writes the change and one history row; publication stamps the
time and judges timeliness against the record's deadline (``timely_on``, also used by the intake).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .choices import Action, Status
from .models import Record, RecordEvent
from .review import review_queue_notify


def _transition(record: Record, *, to: str, action: str, actor, reason: str = "", allowed_from: tuple) -> Record:
    if record.status not in allowed_from:
        raise ValidationError(f"记录当前状态为“{record.get_status_display()}”，不能执行此操作。")
    before = {"status": record.status}
    record.status = to
    record.save()
    RecordEvent.objects.create(
        record=record,
        action=action,
        actor=actor,
        actor_label=str(actor),
        reason=reason,
        before=before,
        after={"status": to},
    )
    return record


def intake_status(*, department, submit: bool) -> str:
    if not submit:
        return Status.DRAFT
    # A department may want a second pair of eyes before anything leaves it.
    return Status.PENDING_REVIEW if department.requires_review else Status.PUBLISHED


def timely_on(published_at, deadline) -> bool | None:
    """按时上网公示: published on or before the deadline, by the local date; unknown until published.

    Seed 003 judges departments on 按时上网公示, so where a department reviews
    before publishing, the review's days count against its 7 working days.
    """
    if published_at is None or deadline is None:
        return None
    return timezone.localtime(published_at).date() <= deadline


def _publish(record: Record, now) -> None:
    record.published_at = now
    record.timely = timely_on(now, record.report_deadline)
    if record.is_publicised:
        record.publicity_start = timezone.localtime(now).date()


@transaction.atomic
def record_submit(*, record: Record, actor) -> Record:
    """Draft → reported (and published at once where the department does not review first)."""
    record = Record.objects.select_for_update().get(pk=record.pk)
    now = timezone.now()
    record.reported_at = now
    to = intake_status(department=record.department, submit=True)
    if to == Status.PUBLISHED:
        _publish(record, now)
    record = _transition(record, to=to, action=Action.SUBMIT, actor=actor, allowed_from=(Status.DRAFT,))
    if to == Status.PENDING_REVIEW:
        review_queue_notify(department=record.department, count=1, what=f"草稿提交的{record.record_type.name}")
    return record


@transaction.atomic
def record_approve(*, record: Record, reviewer) -> Record:
    """Pending review → published: the moment that counts for timeliness."""
    record = Record.objects.select_for_update().get(pk=record.pk)
    _publish(record, timezone.now())
    return _transition(
        record, to=Status.PUBLISHED, action=Action.APPROVE, actor=reviewer, allowed_from=(Status.PENDING_REVIEW,)
    )


@transaction.atomic
def record_return(*, record: Record, reviewer, reason: str) -> Record:
    if not reason.strip():
        raise ValidationError("退回时必须填写原因。")
    record = Record.objects.select_for_update().get(pk=record.pk)
    record.reported_at, record.published_at, record.timely = None, None, None
    return _transition(
        record,
        to=Status.DRAFT,
        action=Action.RETURN,
        actor=reviewer,
        reason=reason,
        allowed_from=(Status.PENDING_REVIEW,),
    )


@transaction.atomic
def record_revoke(*, record: Record, actor, reason: str) -> Record:
    """撤销: the decision was withdrawn; the record leaves every public view but keeps its history."""
    if not reason.strip():
        raise ValidationError("撤销时必须填写原因。")
    record = Record.objects.select_for_update().get(pk=record.pk)
    return _transition(
        record,
        to=Status.REVOKED,
        action=Action.REVOKE,
        actor=actor,
        reason=reason,
        allowed_from=(Status.DRAFT, Status.PENDING_REVIEW, Status.PUBLISHED, Status.EXPIRED),
    )

"""信用修复告知书 (两书同达): recording their service, and zips of many notices built in the worker."""

import contextlib
import datetime
import logging
import tempfile

from auditlog.context import auditlog_value, set_actor
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.notifications.services import notification_send
from apps.records.choices import Status
from apps.records.models import Record
from credit_portal.claims import session_claim

from ..choices import BatchState, NoticeServiceMethod
from ..documents import repair_notices_zip
from ..models import NoticeBatch, NoticeService
from ..permissions import is_center
from ..selectors import notice_records, upload_notice_records

logger = logging.getLogger(__name__)
# credit_portal/claims.py: one worker builds a notice batch at a time ("NOTB", batch id).
NOTICE_BATCH_LOCK_SPACE = 0x4E4F5442


NOTICE_BATCH_PROGRESS_EVERY = 10  # notices between two progress writes


NOTICE_BATCH_FAILED = "生成失败：处理时发生内部错误，已记录日志，请联系信用中心技术人员。"


def _batch_records(*, user, date_from, date_to):
    return (
        notice_records(user=user)
        .filter(decision_date__gte=date_from, decision_date__lte=date_to)
        .order_by("decision_date", "pk")
    )


def _records_of_batch(batch: NoticeBatch):
    if batch.upload_id:
        return upload_notice_records(user=batch.requested_by, upload=batch.upload)
    return _batch_records(user=batch.requested_by, date_from=batch.date_from, date_to=batch.date_to)


def notice_upload_batch_request(*, user, upload) -> NoticeBatch:
    """A batch (queued by ``tasks.notice_batch_queue``) for the zip of the 告知书 of every penalty an upload stored, to serve them with the decisions.

    The caller has already scoped ``upload`` to the user's department (records_upload's queryset).
    """
    count = upload_notice_records(user=user, upload=upload).count()
    limit = settings.REPAIR_NOTICE_BULK_MAX
    if not count:
        raise ValidationError("该上传批次没有需要送达告知书的行政处罚。")
    if count > limit:
        raise ValidationError(f"本批次共 {count} 份，超过每次 {limit} 份上限，请按决定日期分段批量生成。")
    return NoticeBatch.objects.create(requested_by=user, department=upload.department, upload=upload, total=count)


def _notice_service_check(*, record: Record, served_on: datetime.date, method: str):
    if record.record_type.code != "penalty" or record.status == Status.REVOKED or not record.is_publicised:
        raise ValidationError(f"{record.decision_number}：只有未撤销、需公示的行政处罚才送达信用修复告知书。")
    if method not in NoticeServiceMethod.values:
        raise ValidationError({"method": "请选择送达方式。"})
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": "送达日期不能晚于今天。"})
    if served_on < record.decision_date:
        raise ValidationError(
            {"served_on": f"{record.decision_number}：送达日期不能早于处罚决定日期 {record.decision_date:%Y-%m-%d}。"}
        )


def notice_service_record(
    *, records, served_on: datetime.date, method: str, note: str = "", user=None, actor_label: str = ""
) -> list:
    """Record that the 告知书 of ``records`` was served on ``served_on`` by ``method`` (one call: form,
    bulk for an upload, API). Recording again replaces a record's earlier entry; auditlog keeps both.

    All or nothing: one record that cannot be served refuses the whole call with its reason.
    """
    records = list(records)
    if not records:
        raise ValidationError("请选择要登记送达的行政处罚。")
    for record in records:
        _notice_service_check(record=record, served_on=served_on, method=method)
    # Saved one by one, not bulk: auditlog writes its entry from each save's signal.
    actor = user if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) else None
    # A web request already has auditlog's actor (its middleware); a task or the shell names it here.
    audit = set_actor(actor) if actor and auditlog_value.get(None) is None else contextlib.nullcontext()
    saved = []
    with transaction.atomic(), audit:
        for record in records:
            service = NoticeService.objects.filter(record=record).first() or NoticeService(record=record)
            service.record = record
            service.served_on, service.method, service.note = served_on, method, note[:200]
            service.recorded_by, service.recorded_by_label = actor, actor_label[:100]
            service.save()
            saved.append(service)
    return saved


def notice_batch_request(*, user, date_from: datetime.date, date_to: datetime.date) -> NoticeBatch:
    """A batch (queued by ``tasks.notice_batch_queue``) for the zip of every 告知书 of the user's department's penalties decided in the period."""
    count = _batch_records(user=user, date_from=date_from, date_to=date_to).count()
    limit = settings.REPAIR_NOTICE_BULK_MAX
    if not count:
        raise ValidationError("该期间没有需要送达告知书的行政处罚。")
    if count > limit:
        raise ValidationError(f"本次共 {count} 份，超过每次 {limit} 份上限，请缩短日期范围。")
    return NoticeBatch.objects.create(
        requested_by=user,
        department=None if is_center(user) else user.department,
        date_from=date_from,
        date_to=date_to,
        total=count,
    )


def notice_batch_build(*, batch_id: int) -> NoticeBatch:
    """The Celery task's work: render the notices into a zip in private storage, recording progress.

    Two deliveries at once (two bulk workers): the one holding the batch's claim builds it, the other
    returns the batch as it is — one zip, one notification.
    """
    with session_claim(NOTICE_BATCH_LOCK_SPACE, batch_id) as claimed:
        if not claimed:
            logger.info("notice batch %s is being built by another worker; this delivery skipped", batch_id)
            return NoticeBatch.objects.get(pk=batch_id)
        return _notice_batch_build(batch_id)


def _notice_batch_build(batch_id: int) -> NoticeBatch:
    batch = NoticeBatch.objects.select_related("requested_by").get(pk=batch_id)
    if batch.state == BatchState.DONE:
        return batch  # a redelivered task: already built
    NoticeBatch.objects.filter(pk=batch.pk).update(state=BatchState.RUNNING, done=0)
    records = _records_of_batch(batch)

    written = 0

    def progress(n):
        nonlocal written
        written = n
        if n % NOTICE_BATCH_PROGRESS_EVERY == 0:
            NoticeBatch.objects.filter(pk=batch.pk).update(done=n)

    try:
        with tempfile.TemporaryFile() as tmp:
            repair_notices_zip(records=records.iterator(chunk_size=200), fileobj=tmp, progress=progress)
            tmp.seek(0)
            batch.file.save("notices.zip", File(tmp), save=False)
    except Exception:  # the failure is shown on the batch page (the exception text only in the log)
        logger.exception("notice batch %s failed", batch.pk)
        NoticeBatch.objects.filter(pk=batch.pk).update(
            state=BatchState.FAILED, error=NOTICE_BATCH_FAILED, finished_at=timezone.now()
        )
        batch.refresh_from_db()
        return batch
    batch.state, batch.done, batch.total, batch.finished_at = BatchState.DONE, written, written, timezone.now()
    batch.save(update_fields=["file", "state", "done", "total", "finished_at"])
    notification_send(
        users=[batch.requested_by],
        title=f"信用修复告知书已生成（{written} 份），可以下载",
        url=reverse("repair:notice_batch", args=[batch.pk]),
    )
    return batch

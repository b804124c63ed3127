"""Exchange with the city/provincial platform: the 政务共享 download and the push of batches through an outbox.

Full ID numbers leave the platform only here and only for the credit center; every subject whose number is
included gets a row in the personal-data access log (apps.audit) in the same transaction that builds the
file or the batch, so nothing is revealed without its log row.

The push: ``outbox_batch_create`` checks the period and queues ``tasks.outbox_batch_push``, whose first run
freezes the data in the ``OutboxBatch`` (``push.outbox_batch_prepare``); it calls ``push.outbox_batch_send``
once per attempt and retries with exponential backoff until the upstream answers 2xx or
``EXCHANGE_PUSH_MAX_ATTEMPTS`` is reached.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.accounts.permissions import CENTER_ROLES, has_role

from .access import period_label, reveals_log
from .choices import OutboxStatus
from .models import OutboxBatch
from .push import upstream_url
from .selectors import ExchangeData, exchange_count, exchange_data
from .tasks import outbox_batch_push

logger = logging.getLogger(__name__)

CENTER_ONLY = "仅信用中心工作人员可以导出或上报含完整身份证号码的政务共享数据。"


def _require_center(user) -> None:
    if not has_role(user, CENTER_ROLES):
        raise PermissionDenied(CENTER_ONLY)


def share_export_prepare(
    *, user, date_from: datetime.date, date_to: datetime.date, department=None, remote_addr: str | None = None
) -> ExchangeData:
    """The 政务共享 data (full ID numbers) for a download, its reveals logged first (center only)."""
    _require_center(user)
    with transaction.atomic():
        data = exchange_data(date_from=date_from, date_to=date_to, department=department, full=True)
        reveals_log(
            user=user, data=data, reason=f"政务共享导出（{period_label(date_from, date_to)}）", remote_addr=remote_addr
        )
    logger.info(
        "share export by %s: %s..%s department=%s rows=%s persons=%s",
        user.username,
        date_from,
        date_to,
        getattr(department, "code", "*"),
        data.total,
        len(data.revealed),
    )
    return data


# --- push ---------------------------------------------------------------------------------


def outbox_batch_create(
    *, user, date_from: datetime.date, date_to: datetime.date, remote_addr: str | None = None
) -> OutboxBatch:
    """Check the period and queue a new batch; its task freezes the data (full identifiers) and pushes it.

    Only the counts run in the request: building, logging and encrypting a large period happens in the
    worker (``push.outbox_batch_prepare``), where its reveals are logged in the personal-data access log.
    """
    _require_center(user)
    endpoint = upstream_url()
    count = exchange_count(date_from=date_from, date_to=date_to)
    if not count:
        raise ValidationError("该期间没有需要上报的信用信息、修复或异议结果。")
    if count > settings.EXCHANGE_MAX_ROWS:
        raise ValidationError(
            f"该期间共 {count:,} 条，超过单次 {settings.EXCHANGE_MAX_ROWS:,} 条的上限，请缩短期间后分批推送。"
        )
    with transaction.atomic():
        batch = OutboxBatch.objects.create(
            date_from=date_from, date_to=date_to, endpoint=endpoint, created_by=user, remote_addr=remote_addr or None
        )
        transaction.on_commit(lambda: _queue(batch.pk))
    return batch


def _queue(pk: int) -> None:
    outbox_batch_push.delay(pk)


def outbox_batch_resend(*, batch: OutboxBatch, user) -> OutboxBatch:
    """Send a failed batch again (same batch id, same bytes) after the upstream is back; center only."""
    _require_center(user)
    with transaction.atomic():
        batch = OutboxBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == OutboxStatus.ACKNOWLEDGED:
            raise ValidationError("该批次已由上级平台确认，无需重新发送。")
        if batch.status != OutboxStatus.FAILED:
            raise ValidationError("该批次正在自动重试，请等待结果。")
        # A new round of attempts; the error of the last round stays until the next attempt replaces it.
        # A batch that failed while being built (its period had become empty) is built again.
        batch.status = OutboxStatus.PENDING if batch.payload_encrypted else OutboxStatus.PREPARING
        batch.attempts, batch.next_attempt_at = 0, None
        batch.save(update_fields=["status", "attempts", "next_attempt_at"])
        transaction.on_commit(lambda: _queue(batch.pk))
    logger.info("outbox batch %s re-sent by %s", batch.batch_id, user.username)
    return batch

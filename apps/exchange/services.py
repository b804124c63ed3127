"""Exchange with the city/provincial platform: the 政务共享 download and the push of batches through an outbox.

Full ID numbers leave the platform only here and only for the credit center; every subject whose number is
included gets a row in the personal-data access log (apps.audit) in the same transaction that builds the
file or the batch, so nothing is revealed without its log row.

The push: ``outbox_batch_create`` freezes the period's data in an ``OutboxBatch`` and queues
``tasks.outbox_batch_push``, which calls ``push.outbox_batch_send`` once per attempt and retries with
exponential backoff until the upstream answers 2xx or ``EXCHANGE_PUSH_MAX_ATTEMPTS`` is reached. HTTP is
the standard library's urllib (no HTTP client is a dependency of the project).
"""

import datetime
import hashlib
import json
import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.permissions import CENTER_ROLES, has_role
from apps.audit.models import PersonalDataAccess
from apps.subjects.pii import encrypt

from .choices import OutboxStatus
from .models import OutboxBatch
from .push import upstream_url
from .selectors import ExchangeData, exchange_data
from .tasks import outbox_batch_push

logger = logging.getLogger(__name__)

CENTER_ONLY = "仅信用中心工作人员可以导出或上报含完整身份证号码的政务共享数据。"


def _require_center(user) -> None:
    if not has_role(user, CENTER_ROLES):
        raise PermissionDenied(CENTER_ONLY)


def _log_reveals(*, user, data: ExchangeData, reason: str, remote_addr: str | None) -> None:
    PersonalDataAccess.objects.bulk_create(
        [
            PersonalDataAccess(
                user=user, subject_id=pk, field="id_number", reason=reason[:200], remote_addr=remote_addr
            )
            for pk in sorted(data.revealed)
        ],
        batch_size=1000,
    )


def _period(date_from: datetime.date, date_to: datetime.date) -> str:
    return f"报送日期 {date_from:%Y-%m-%d}—{date_to:%Y-%m-%d}"


def share_export_prepare(
    *, user, date_from: datetime.date, date_to: datetime.date, department=None, remote_addr: str | None = None
) -> ExchangeData:
    """The 政务共享 data (full ID numbers) for a download, its reveals logged first (center only)."""
    _require_center(user)
    with transaction.atomic():
        data = exchange_data(date_from=date_from, date_to=date_to, department=department, full=True)
        _log_reveals(
            user=user, data=data, reason=f"政务共享导出（{_period(date_from, date_to)}）", remote_addr=remote_addr
        )
    logger.info(
        "share export by %s: %s..%s department=%s rows=%s persons=%s",
        user.username, date_from, date_to, getattr(department, "code", "*"), data.total, len(data.revealed),
    )  # fmt: skip
    return data


# --- push ---------------------------------------------------------------------------------


def outbox_batch_create(
    *, user, date_from: datetime.date, date_to: datetime.date, remote_addr: str | None = None
) -> OutboxBatch:
    """Freeze the period's exchange data (full identifiers) in a new batch and queue its push."""
    _require_center(user)
    endpoint = upstream_url()
    batch_id = uuid.uuid4()
    with transaction.atomic():
        data = exchange_data(date_from=date_from, date_to=date_to, full=True)
        if not data.total:
            raise ValidationError("该期间没有需要上报的信用信息、修复或异议结果。")
        body = {
            "batch_id": str(batch_id),
            "platform": settings.SITE_NAME,
            "period": {"basis": "reported_at", "from": date_from.isoformat(), "to": date_to.isoformat()},
            "generated_at": timezone.localtime().isoformat(),
            "counts": {"records": len(data.records), "repairs": len(data.repairs), "objections": len(data.objections)},
            **data.as_payload(),
        }
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        batch = OutboxBatch.objects.create(
            batch_id=batch_id,
            date_from=date_from,
            date_to=date_to,
            endpoint=endpoint,
            records_count=len(data.records),
            repairs_count=len(data.repairs),
            objections_count=len(data.objections),
            payload_encrypted=encrypt(text),
            payload_sha256=hashlib.sha256(text.encode()).hexdigest(),
            created_by=user,
        )
        _log_reveals(
            user=user, data=data, reason=f"政务共享上报（批次 {batch_id}，{_period(date_from, date_to)}）",
            remote_addr=remote_addr,
        )  # fmt: skip
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
        batch.status, batch.attempts, batch.next_attempt_at = OutboxStatus.PENDING, 0, None
        batch.save(update_fields=["status", "attempts", "next_attempt_at"])
        transaction.on_commit(lambda: _queue(batch.pk))
    logger.info("outbox batch %s re-sent by %s", batch.batch_id, user.username)
    return batch

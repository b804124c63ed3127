"""The worker's side of an outbox batch: freeze its data once, then one push attempt at a time.

HTTP is the standard library's urllib (no HTTP client is a dependency of the project). Kept apart from
``services`` so the Celery task (``tasks``) imports only this and ``services`` can queue the task.
"""

import base64
import datetime
import gzip
import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.subjects.pii import decrypt, encrypt

from .access import period_label, reveals_log
from .choices import OutboxStatus
from .models import OutboxBatch
from .selectors import exchange_data

logger = logging.getLogger(__name__)

BACKOFF_CAP_SECONDS = 6 * 3600
RESPONSE_KEPT = 1000  # characters of the upstream's answer kept on the batch


class UpstreamError(Exception):
    """The upstream did not acknowledge: a non-2xx answer, a refused connection or a timeout."""


def upstream_url() -> str:
    """The configured endpoint, checked: only http(s), so a mistyped setting cannot read a local file."""
    url = (settings.EXCHANGE_UPSTREAM_URL or "").strip()
    if not url:
        raise ValidationError("未配置上级平台接收地址（EXCHANGE_UPSTREAM_URL），不能推送。")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"上级平台接收地址“{url}”无效：须为 http:// 或 https:// 开头的完整地址。")
    return url


def backoff_seconds(attempts: int) -> int:
    """Wait before the next attempt after ``attempts`` failures: base, 2×base, 4×base … capped at 6 hours."""
    base = settings.EXCHANGE_PUSH_BACKOFF_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


def _post(batch: OutboxBatch, body: bytes) -> str:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Accept": "application/json",
        # The same id on every attempt: the upstream recognises a re-sent batch and does not store it twice.
        "X-Batch-Id": str(batch.batch_id),
        "Idempotency-Key": str(batch.batch_id),
        "X-Content-SHA256": batch.payload_sha256,
    }
    if settings.EXCHANGE_UPSTREAM_TOKEN:
        headers["Authorization"] = f"Bearer {settings.EXCHANGE_UPSTREAM_TOKEN}"
    request = urllib.request.Request(batch.endpoint, data=body, headers=headers, method="POST")  # noqa: S310 — scheme checked
    proxy = settings.EXCHANGE_UPSTREAM_PROXY
    # Direct unless a proxy is configured: the process's *_proxy variables are for package registries, not
    # for the government extranet.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {}))
    try:
        with opener.open(request, timeout=settings.EXCHANGE_UPSTREAM_TIMEOUT) as response:
            return response.read(RESPONSE_KEPT * 4).decode("utf-8", "replace")[:RESPONSE_KEPT]
    except urllib.error.HTTPError as exc:
        detail = exc.read(RESPONSE_KEPT).decode("utf-8", "replace")
        raise UpstreamError(f"上级平台返回 HTTP {exc.code}：{detail}"[:RESPONSE_KEPT]) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UpstreamError(f"无法连接上级平台：{reason}"[:RESPONSE_KEPT]) from exc


def _seal(body: bytes) -> str:
    # JSON compresses about tenfold (a 22,000-row batch: 26 MB of JSON), so it is stored gzipped, then encrypted.
    return encrypt(base64.b64encode(gzip.compress(body, mtime=0)).decode())


def payload_bytes(batch: OutboxBatch) -> bytes:
    """The exact body every attempt sends."""
    return gzip.decompress(base64.b64decode(decrypt(batch.payload_encrypted)))


def outbox_batch_prepare(*, batch: OutboxBatch) -> str:
    """Freeze a 生成中 batch: read the period (full identifiers), log each reveal, store the sealed body.

    Runs once per batch (the row is locked and its state checked), in one transaction with the access-log
    rows, which name the staff member who asked for the push. A period that has become empty since it was
    counted fails the batch with the reason rather than sending an empty body.
    """
    with transaction.atomic():
        batch = OutboxBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != OutboxStatus.PREPARING:
            return batch.status
        data = exchange_data(date_from=batch.date_from, date_to=batch.date_to, full=True)
        if not data.total:
            batch.status, batch.last_error = OutboxStatus.FAILED, "该期间已没有需要上报的信用信息、修复或异议结果。"
            batch.save(update_fields=["status", "last_error"])
            return batch.status
        body = {
            "batch_id": str(batch.batch_id),
            "platform": settings.SITE_NAME,
            "period": {"basis": "reported_at", "from": batch.date_from.isoformat(), "to": batch.date_to.isoformat()},
            "generated_at": timezone.localtime().isoformat(),
            "counts": {"records": len(data.records), "repairs": len(data.repairs), "objections": len(data.objections)},
            **data.as_payload(),
        }
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        batch.records_count, batch.repairs_count = len(data.records), len(data.repairs)
        batch.objections_count = len(data.objections)
        batch.payload_encrypted, batch.payload_sha256 = _seal(raw), hashlib.sha256(raw).hexdigest()
        batch.status = OutboxStatus.PENDING
        batch.save()
        reveals_log(
            user=batch.created_by,
            data=data,
            reason=f"政务共享上报（批次 {batch.batch_id}，{period_label(batch.date_from, batch.date_to)}）",
            remote_addr=batch.remote_addr,
        )
    return batch.status


def outbox_batch_send(*, batch: OutboxBatch) -> str:
    """One attempt; returns the batch's new status. An acknowledged batch is never sent again."""
    if outbox_batch_prepare(batch=batch) == OutboxStatus.FAILED:
        return OutboxStatus.FAILED
    batch.refresh_from_db()
    if batch.status == OutboxStatus.ACKNOWLEDGED:
        return batch.status
    body = payload_bytes(batch)
    now = timezone.now()
    try:
        answer = _post(batch, body)
    except UpstreamError as exc:
        attempts = batch.attempts + 1
        exhausted = attempts >= settings.EXCHANGE_PUSH_MAX_ATTEMPTS
        status = OutboxStatus.FAILED if exhausted else OutboxStatus.RETRYING
        OutboxBatch.objects.filter(pk=batch.pk).update(
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            last_error=str(exc),
            status=status,
            next_attempt_at=None if exhausted else now + datetime.timedelta(seconds=backoff_seconds(attempts)),
        )
        logger.warning("outbox batch %s attempt %s failed: %s", batch.batch_id, attempts, exc)
    else:
        status = OutboxStatus.ACKNOWLEDGED
        OutboxBatch.objects.filter(pk=batch.pk).update(
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            status=status,
            acknowledged_at=now,
            ack_response=answer,
            next_attempt_at=None,
        )
        logger.info("outbox batch %s acknowledged", batch.batch_id)
    batch.refresh_from_db()
    return status

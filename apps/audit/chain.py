"""Hash chain over the audit trail (django-auditlog ``LogEntry``).

Every new LogEntry gets an ``AuditChainLink`` in the same transaction:
``hash = HMAC-SHA256(AUDIT_CHAIN_KEY, prev_hash || canonical(entry))``. An
edited entry no longer matches its hash, a deleted one leaves its link (or a
gap in ``seq``), an entry slipped in without the signal has no link, and a
forged link breaks ``prev_hash``. Dropping the newest entries together with
their links is only visible against a head recorded elsewhere, which is why
``verify_audit_chain`` prints the head (and checks ``--expect-head``).

Concurrency: the head is read and extended under a transaction-scoped lock
(``pg_advisory_xact_lock`` on PostgreSQL; SQLite already serialises writers),
held until commit, so two writers can never both extend the same head.
Audited writes therefore serialise on commit; bulk imports use
``bulk_create`` (no per-row audit entries), so the lock is short in practice.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC

from django.conf import settings
from django.db import connection, transaction

from .models import AuditChainLink

GENESIS = "0" * 64
# Arbitrary constant naming the advisory lock (fits a signed bigint).
_LOCK_KEY = 0x41554449545F4348  # "AUDIT_CH"

# Fields of auditlog's LogEntry covered by the hash (all of them).
_FIELDS = (
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "serialized_data",
    "action",
    "changes_text",
    "changes",
    "actor_id",
    "cid",
    "remote_addr",
    "remote_port",
    "additional_data",
    "actor_email",
)


def _key() -> bytes:
    return (getattr(settings, "AUDIT_CHAIN_KEY", None) or settings.SECRET_KEY).encode()


def canonical(entry) -> str:
    """Stable text of an entry as read back from the database."""
    data = {name: getattr(entry, name) for name in _FIELDS}
    data["id"] = entry.pk
    data["timestamp"] = entry.timestamp.astimezone(UTC).isoformat() if entry.timestamp else None
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def link_hash(prev_hash: str, entry) -> str:
    message = (prev_hash + "\n" + canonical(entry)).encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def chain_append(*, entry_model, link_model, entry_id: int):
    """Link one entry at the head of the chain (call inside the entry's transaction)."""
    with transaction.atomic():
        _lock_chain()
        # Re-read so the hash covers exactly what the database stores.
        entry = entry_model.objects.get(pk=entry_id)
        head = link_model.objects.order_by("-seq").only("seq", "hash").first()
        prev_hash, seq = (head.hash, head.seq + 1) if head else (GENESIS, 1)
        return link_model.objects.create(
            seq=seq, entry_id=entry.pk, prev_hash=prev_hash, hash=link_hash(prev_hash, entry)
        )


def on_logentry_saved(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return

    chain_append(entry_model=sender, link_model=AuditChainLink, entry_id=instance.pk)


@dataclass
class ChainReport:
    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def chain_verify(*, batch_size: int = 2000, using: str = "default") -> ChainReport:
    """Walk the whole chain; report every problem found (not just the first)."""
    from auditlog import get_logentry_model
    from django.db.models import Exists, OuterRef

    LogEntry = get_logentry_model()
    report = ChainReport()
    expected_seq, prev_hash = 1, GENESIS
    last_seq = 0
    while True:
        links = list(AuditChainLink.objects.using(using).filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not links:
            break
        entries = LogEntry.objects.using(using).in_bulk([link.entry_id for link in links])
        for link in links:
            if link.seq != expected_seq:
                report.problems.append(f"链缺失：序号 {expected_seq}–{link.seq - 1} 的链节被删除")
            if link.prev_hash != prev_hash:
                report.problems.append(f"链断裂：序号 {link.seq} 的前一哈希与上一链节不符（链节被插入或删除）")
            entry = entries.get(link.entry_id)
            if entry is None:
                report.problems.append(f"审计记录被删除：序号 {link.seq}，记录编号 {link.entry_id}")
            elif not hmac.compare_digest(link_hash(link.prev_hash, entry), link.hash):
                report.problems.append(f"审计记录被篡改：序号 {link.seq}，记录编号 {link.entry_id}")
            report.checked += 1
            expected_seq, prev_hash, last_seq = link.seq + 1, link.hash, link.seq
            report.head_seq, report.head_hash = link.seq, link.hash
    unlinked = (
        LogEntry.objects.using(using)
        .filter(~Exists(AuditChainLink.objects.using(using).filter(entry_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in unlinked.iterator():
        report.problems.append(f"未入链的审计记录（绕过写入流程插入）：记录编号 {pk}")
    return report


def chain_head(*, using: str = "default") -> tuple[int, str]:

    head = AuditChainLink.objects.using(using).order_by("-seq").first()
    return (head.seq, head.hash) if head else (0, GENESIS)

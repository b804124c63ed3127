from django.conf import settings
from django.db import models


class PersonalDataAccess(models.Model):
    """One staff view of unmasked personal data (e.g. a full ID number).

    Append-only: the admin offers no add, change or delete.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="查看人"
    )
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="+", verbose_name="主体")
    field = models.CharField("字段", max_length=50)
    reason = models.CharField("查看事由", max_length=200)
    remote_addr = models.GenericIPAddressField("来源地址", null=True, blank=True)
    accessed_at = models.DateTimeField("查看时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "个人信息查看记录"
        verbose_name_plural = "个人信息查看记录"
        ordering = ["-accessed_at"]

    def __str__(self):
        return f"{self.user} 查看 {self.subject} 的 {self.field}"


class AuditChainLink(models.Model):
    """One link of the hash chain over auditlog's LogEntry rows.

    Written in the same transaction as its entry, under a lock, so the chain
    is a single line: ``hash = HMAC(key, prev_hash + canonical(entry))``.
    ``entry_id`` is a plain number, not a foreign key, so deleting an entry
    leaves its link behind as evidence. ``seq`` is unique: even if the lock
    were bypassed, two writers could not both extend the same head.
    """

    seq = models.PositiveBigIntegerField("序号", unique=True)
    entry_id = models.BigIntegerField("审计记录编号", unique=True)
    prev_hash = models.CharField("前一哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)
    created_at = models.DateTimeField("入链时间", auto_now_add=True)

    class Meta:
        verbose_name = "审计哈希链"
        verbose_name_plural = "审计哈希链"
        ordering = ["seq"]

    def __str__(self):
        return f"#{self.seq} {self.hash[:12]}"

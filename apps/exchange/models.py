"""The outbox of the push to the city/provincial platform: what was sent, how often, and what came back."""

import uuid

from django.conf import settings
from django.db import models

from .choices import OutboxStatus


class OutboxBatch(models.Model):
    """One batch pushed upstream (002 §9: records, repair and objection outcomes fed back to the platform).

    ``batch_id`` travels with every attempt (header and body), so a re-send after a lost acknowledgement is
    recognised upstream as the same batch. The payload is frozen by the task's first run (生成中 until then:
    a 50,000-row period takes longer than a web request should) and kept gzip-compressed and encrypted (it
    carries full ID numbers for 政务共享): every attempt sends exactly the same bytes, and the row shows
    what was sent even after the records change. Status changes are counted in ``attempts`` with the last
    error kept; ``acknowledged_at`` is set once, by the first 2xx answer.
    """

    batch_id = models.UUIDField("批次号", default=uuid.uuid4, unique=True, editable=False)
    date_from = models.DateField("报送日期自")
    date_to = models.DateField("报送日期至")
    endpoint = models.CharField("上级平台接收地址", max_length=500)
    records_count = models.PositiveIntegerField("信用信息条数", default=0)
    repairs_count = models.PositiveIntegerField("信用修复结果条数", default=0)
    objections_count = models.PositiveIntegerField("异议处理结果条数", default=0)
    payload_encrypted = models.TextField(blank=True, editable=False)
    payload_sha256 = models.CharField("内容摘要（SHA-256）", max_length=64, blank=True, editable=False)
    status = models.CharField(
        "状态", max_length=15, choices=OutboxStatus.choices, default=OutboxStatus.PREPARING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("已发送次数", default=0)
    last_attempt_at = models.DateTimeField("最近发送时间", null=True, blank=True)
    next_attempt_at = models.DateTimeField("下次重试时间", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)
    ack_response = models.TextField("上级平台答复", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="发起人"
    )
    remote_addr = models.GenericIPAddressField("发起地址", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "上报批次"
        verbose_name_plural = "上报批次"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.batch_id} {self.get_status_display()}"

    @property
    def total(self) -> int:
        return self.records_count + self.repairs_count + self.objections_count

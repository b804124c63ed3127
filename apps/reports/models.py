from django.conf import settings
from django.db import models

from .choices import Purpose, ReportKind


class CreditReport(models.Model):
    """An issued credit report: what it said (``snapshot``), sealed by ``snapshot_hash``.

    The PDF is not stored: it is rendered from the snapshot, so the verify page
    and a re-download show exactly what was issued even after the subject's
    records change. The hash is SHA-256 over the canonical JSON of the snapshot
    (sorted keys, no whitespace), recomputed on every verification, so an edited
    snapshot row is detected rather than vouched for.
    """

    number = models.CharField("报告编号", max_length=32, unique=True)
    verification_code = models.CharField("验证码", max_length=16)
    kind = models.CharField("报告类型", max_length=10, choices=ReportKind.choices, default=ReportKind.STANDARD)
    subject = models.ForeignKey(
        "subjects.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="credit_reports"
    )
    subject_name = models.CharField("主体名称", max_length=200)
    subject_code = models.CharField("主体代码（公开形式）", max_length=30, blank=True)
    purpose = models.CharField("用途", max_length=20, choices=Purpose.choices)
    purpose_note = models.CharField("用途说明", max_length=200, blank=True)
    params = models.JSONField("出具参数", default=dict, blank=True)
    snapshot = models.JSONField("报告内容快照")
    snapshot_hash = models.CharField("内容摘要（SHA-256）", max_length=64)
    issued_at = models.DateTimeField("出具时间", db_index=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_ip = models.GenericIPAddressField("申请方地址", null=True, blank=True)

    class Meta:
        verbose_name = "信用报告"
        verbose_name_plural = "信用报告"
        ordering = ["-issued_at"]

    def __str__(self):
        return f"{self.number} {self.subject_name}"

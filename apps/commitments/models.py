from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .choices import Channel, CommitmentStatus, CommitmentType, Outcome
from .validators import PLACEHOLDERS, template_placeholders_check


class CommitmentTemplate(models.Model):
    """The text a subject signs for a type and a matter (事项); staff edit it, placeholders in ``{…}``."""

    type = models.CharField("承诺类型", max_length=30, choices=CommitmentType.choices)
    matter = models.CharField("承诺事项", max_length=200)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("承诺书正文", help_text="可用占位符：" + "、".join(f"{{{p}}}" for p in PLACEHOLDERS))
    supervising_department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commitment_templates",
        verbose_name="监管部门",
        help_text="负责核实履约情况的部门；未指定的模板不能在网上签署",
    )
    term_days = models.PositiveIntegerField("履约期限（自然日）", default=30, help_text="签署后多少日内须履行承诺")
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "承诺书模板"
        verbose_name_plural = "承诺书模板"
        ordering = ["type", "matter"]
        constraints = [models.UniqueConstraint(fields=["type", "matter"], name="one_template_per_type_matter")]

    def __str__(self):
        return f"{self.get_type_display()}｜{self.matter}"

    def clean(self):
        problems = template_placeholders_check(self.body or "")
        if problems:
            raise ValidationError({"body": problems})


class CommitmentSerial(models.Model):
    """The last serial handed out for a region and a day; incremented in one atomic statement."""

    region = models.CharField(max_length=6)
    day = models.CharField(max_length=8)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "day"], name="commitment_serial_region_day")]

    def __str__(self):
        return f"{self.region}{self.day} {self.last}"


class Commitment(models.Model):
    code = models.CharField("承诺编号", max_length=20, unique=True, help_text="6位行政区划码＋8位日期＋6位流水号")
    template = models.ForeignKey(CommitmentTemplate, on_delete=models.PROTECT, related_name="commitments")
    type = models.CharField("承诺类型", max_length=30, choices=CommitmentType.choices)
    matter = models.CharField("承诺事项", max_length=200)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="commitments")
    text = models.TextField("承诺内容")
    signed_on = models.DateField("承诺日期")
    due_on = models.DateField("履约期限")
    channel = models.CharField("签署方式", max_length=10, choices=Channel.choices)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    supervising_department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="supervised_commitments"
    )
    status = models.CharField(
        "履约状态", max_length=10, choices=CommitmentStatus.choices, default=CommitmentStatus.SIGNED, db_index=True
    )
    fulfilment_deadline = models.DateField("履约信息报送期限", help_text="履约期限后按政策的工作日数")
    deadline_calendar = models.CharField(max_length=10, blank=True)
    # A commitment signed on paper (or in a sheet) reaches the platform when a department enters it:
    # like any other credit information it must be entered within the policy's working days of signing.
    entry_deadline = models.DateField(
        "录入期限", null=True, blank=True, help_text="纸质承诺、批量导入：承诺日期后按政策的工作日数；网上签署不适用"
    )
    entry_calendar = models.CharField(max_length=10, blank=True)
    entry_timely = models.BooleanField("按时录入", null=True, blank=True)
    repair_record = models.ForeignKey(
        "records.Record",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repair_commitments",
        verbose_name="修复的失信信息",
        db_constraint=False,  # records_record is partitioned (apps/records/partitions.py)
        help_text="信用修复型承诺：提出修复申请时作出的承诺所针对的信息",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "信用承诺"
        verbose_name_plural = "信用承诺"
        ordering = ["-signed_on", "-pk"]
        # The 信用承诺公示 page's order: a page is an index scan, not a sort of every commitment.
        indexes = [models.Index(fields=["-signed_on", "-id"], name="commitment_public_order_idx")]
        constraints = [
            # One open commitment per subject and matter: signing twice is refused.
            models.UniqueConstraint(
                fields=["subject", "type", "matter"],
                condition=Q(status="signed"),
                name="one_open_commitment_per_matter",
            )
        ]

    def __str__(self):
        return f"{self.code} {self.matter}"


class Fulfilment(models.Model):
    """履约践诺 / 违诺 as recorded by the supervising department."""

    commitment = models.OneToOneField(Commitment, on_delete=models.CASCADE, related_name="fulfilment")
    outcome = models.CharField("履约情况", max_length=10, choices=Outcome.choices)
    unfulfilled = models.TextField("未履行内容", blank=True)
    follow_up = models.TextField("后续处理", blank=True)
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_on = models.DateField("录入日期")
    timely = models.BooleanField("按时录入")
    breach_record = models.ForeignKey(
        "records.Record",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="失信记录",
        db_constraint=False,  # records_record is partitioned (apps/records/partitions.py)
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "履约情况"
        verbose_name_plural = "履约情况"

    def __str__(self):
        return f"{self.commitment.code} {self.get_outcome_display()}"

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import COUNTING_RECORD_STATUSES, CheckChannel, EntryState, ListColor, MeasureKind


class ListType(models.Model):
    """A named list a law, regulation or national policy provides for (DOMAIN.md §5)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60, unique=True)
    color = models.CharField("类别", max_length=10, choices=ListColor.choices)
    legal_basis = models.TextField("认定依据")
    recognisers = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="recognisable_list_types", verbose_name="认定部门"
    )
    recogniser_note = models.CharField("认定部门说明", max_length=100, blank=True, help_text="如：人民法院、税务部门")
    validity_months = models.PositiveIntegerField(
        "有效期（月）", null=True, blank=True, help_text="认定时未填有效期的，按此计算；空为直至移出"
    )
    # Whether a subject may ask the platform to repair an entry of this list (DOMAIN.md §6). Red lists
    # are rewards, and the courts manage 失信被执行人 themselves: the note tells the applicant why and where to go.
    repairable = models.BooleanField("可通过平台申请信用修复", default=True)
    repair_note = models.TextField(
        "不适用信用修复的说明", blank=True, help_text="不可修复时向申请人显示的原因及办理途径"
    )
    triggers_measures = models.BooleanField("触发联合奖惩", default=True)
    is_public = models.BooleanField("向社会公示", default=True)
    effective_from = models.DateField("生效日期")
    # Where the platform was told to keep this list (the seed document and its line), beside the
    # national instrument in ``legal_basis``: a reviewer can trace every list type to its requirement.
    source = models.CharField("来源", max_length=200, blank=True, help_text="要求设立该名单的文件及条目")
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "名单类型"
        verbose_name_plural = "名单类型"
        ordering = ["color", "sort_order", "code"]

    def __str__(self):
        return self.name


class ListEntryQuerySet(models.QuerySet):
    def active(self, *, on: datetime.date):
        """Entries that count today: listed, not past their own validity, record reported and not revoked or repaired.

        An entry lasts as its list type says (``valid_until``, or until removed), never by the generic
        record publicity: a record withdrawn from publicity (``expired``) does not end the entry.
        """
        return self.filter(
            state=EntryState.LISTED,
            record__status__in=COUNTING_RECORD_STATUSES,
            record__repaired=False,
            recognised_on__lte=on,
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))


class ListEntry(models.Model):
    """A subject on a list: the overlay of a ``list_entry`` record (the record keeps fields and history)."""

    # No database constraint: records_record is partitioned by decision year and has no unique key on id
    # alone to point at (apps/records/partitions.py). The ORM's on_delete still applies.
    record = models.OneToOneField(
        "records.Record", on_delete=models.CASCADE, related_name="list_entry", db_constraint=False
    )
    list_type = models.ForeignKey(ListType, on_delete=models.PROTECT, related_name="entries", verbose_name="名单类型")
    subject = models.ForeignKey(
        "subjects.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="list_entries"
    )
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="list_entries")
    recognised_on = models.DateField("认定日期")
    valid_until = models.DateField("有效期至", null=True, blank=True, db_index=True)
    legal_representative = models.CharField("法定代表人/主要负责人", max_length=50, blank=True)
    # Keyed hash (apps.subjects.pii.id_number_hash) of the legal representative's ID number, from the
    # record's encrypted copy: a credit check on that person finds the entry (004 §20) by an indexed
    # equality, never by name (namesakes) and without decrypting anything at check time.
    legal_rep_id_hash = models.CharField(max_length=64, blank=True, editable=False)
    state = models.CharField("状态", max_length=10, choices=EntryState.choices, default=EntryState.LISTED)
    removed_on = models.DateField("移出日期", null=True, blank=True)
    removal_reason = models.CharField("移出原因", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ListEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "名单条目"
        verbose_name_plural = "名单条目"
        ordering = ["-recognised_on", "-pk"]
        indexes = [
            models.Index(fields=["subject", "state"]),
            models.Index(fields=["list_type", "state"]),
            models.Index(
                fields=["legal_rep_id_hash"], name="listentry_legal_rep_idx", condition=Q(legal_rep_id_hash__gt="")
            ),
            # The public list pages' order over the entries in force: a page is an index scan, not a sort.
            models.Index(
                fields=["-recognised_on", "-id"], name="listentry_public_order_idx", condition=Q(state="listed")
            ),
        ]

    def __str__(self):
        return f"{self.list_type}：{self.record.subject_name}"


class WarningInterview(models.Model):
    """约谈: a warning interview held with a listed subject by the recognising department."""

    entry = models.ForeignKey(ListEntry, on_delete=models.CASCADE, related_name="interviews")
    held_on = models.DateField("约谈日期")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    participants = models.CharField("约谈对象", max_length=200)
    content = models.TextField("约谈内容")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "约谈记录"
        verbose_name_plural = "约谈记录"
        ordering = ["-held_on"]

    def __str__(self):
        return f"{self.held_on} 约谈 {self.participants}"


class Matter(models.Model):
    """A kind of case a service hall handles (事项), to which measures apply."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "办理事项"
        verbose_name_plural = "办理事项"
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class MeasureQuerySet(models.QuerySet):
    def in_force(self, *, on: datetime.date):
        return self.filter(is_active=True, effective_from__lte=on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on)
        )


class Measure(models.Model):
    """One entry of the measures list (失信惩戒措施清单 / 守信激励措施清单). Versioned by dates:
    a changed measure is a new row with a later ``effective_from``; the old one gets ``effective_to``."""

    code = models.CharField("编号", max_length=20)
    name = models.CharField("措施", max_length=200)
    kind = models.CharField("类别", max_length=12, choices=MeasureKind.choices)
    content = models.TextField("措施内容", blank=True)
    legal_basis = models.TextField("设定依据")
    implementing_department = models.CharField("实施部门", max_length=100)
    list_types = models.ManyToManyField(ListType, related_name="measures", verbose_name="适用名单")
    matters = models.ManyToManyField(Matter, related_name="measures", verbose_name="适用事项")
    version = models.PositiveIntegerField("版本", default=1)
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = "奖惩措施"
        verbose_name_plural = "奖惩措施"
        ordering = ["kind", "code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="measure_code_version")]

    def __str__(self):
        return f"{self.code} {self.name}"


class CreditCheck(models.Model):
    """One 逢办必查 check: who asked (clerk or hall system), about whom, for which matter, and the answer given."""

    channel = models.CharField("渠道", max_length=10, choices=CheckChannel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey("accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="credit_checks"
    )
    query = models.CharField("查询内容", max_length=200)
    matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.PROTECT, related_name="checks")
    subject = models.ForeignKey(
        "subjects.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="credit_checks"
    )
    found = models.BooleanField("找到主体")
    result = models.JSONField("核查结果")
    created_at = models.DateTimeField("核查时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "信用核查"
        verbose_name_plural = "信用核查"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.query}"


class CheckFeedback(models.Model):
    """奖惩案例 feedback: whether a measure the check returned was applied, and if not, why."""

    credit_check = models.ForeignKey(CreditCheck, on_delete=models.CASCADE, related_name="feedback")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    implemented = models.BooleanField("已实施")
    reason = models.CharField("未实施原因/实施情况", max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey("accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "奖惩反馈"
        verbose_name_plural = "奖惩反馈"
        constraints = [models.UniqueConstraint(fields=["credit_check", "measure"], name="one_feedback_per_measure")]

    def __str__(self):
        return f"{self.credit_check_id} {'已实施' if self.implemented else '未实施'}"

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .choices import RULE_PARAMS, ScoreRule

# Lines whose facts the platform cannot measure: staff enter them with evidence (ManualEntry).
ENTERED_RULES = (ScoreRule.MANUAL, ScoreRule.DEDUCTION)


class SnapshotFrozen(Exception):
    """A ranking snapshot's figures never change once taken."""


class RankingSnapshot(models.Model):
    """The monthly ranking as it stood when it was frozen (月末快照) and, once the
    credit center publishes it, as it was published.

    ``data`` holds the whole ranking (department rows, per-type and per-family
    figures, totals and the scoring formula) so a published ranking reads the
    same forever, whatever happens to the records afterwards. Only the
    publication columns may be written after creation.
    """

    month = models.DateField("月份", unique=True, help_text="当月第一天")
    data = models.JSONField("排名数据")
    created_at = models.DateTimeField("快照时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="快照生成人",
        help_text="空表示系统月初自动生成",
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发布人",
    )

    PUBLICATION_FIELDS = frozenset({"published_at", "published_by"})

    class Meta:
        verbose_name = "月度排名快照"
        verbose_name_plural = "月度排名快照"
        ordering = ["-month"]

    def __str__(self):
        state = "已发布" if self.is_published else "待发布"
        return f"{self.month:%Y年%m月} 部门排名（{state}）"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not {f.removesuffix("_id") for f in fields} <= self.PUBLICATION_FIELDS:
                raise SnapshotFrozen("排名快照生成后不能修改，只能发布。")
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class IndicatorQuerySet(models.QuerySet):
    def in_force(self, *, on):
        """The version of each indicator in force on a day (the latest effective_from not after it)."""
        rows = self.filter(effective_from__lte=on).order_by("code", "-effective_from")
        latest = {}
        for row in rows:
            latest.setdefault(row.code, row)
        return sorted(latest.values(), key=lambda row: (row.sort_order, row.code))


class Indicator(models.Model):
    """One line of the scoring table (seed 001 评分表) as data: what is measured, its target, how it scores.

    Policy changes add a new row with a later ``effective_from``; the old row
    keeps explaining past self-assessments. ``measure`` names the live figure
    (see ``apps.monitoring.scorecard.MEASURES``); a rule the data cannot decide
    (e.g. the national ranking) is MANUAL and takes ``manual_score``.
    """

    code = models.SlugField("指标代码", max_length=40)
    name = models.CharField("创建指标", max_length=100)
    group = models.CharField("类别", max_length=50)
    measure = models.CharField("数据来源", max_length=40, blank=True, help_text="实时计算的指标项；人工评分留空")
    points = models.DecimalField("分值", max_digits=5, decimal_places=2)
    rule = models.CharField("计分规则", max_length=20, choices=ScoreRule.choices)
    params = models.JSONField("计分参数", default=dict, blank=True)
    target = models.CharField("目标", max_length=100)
    standard = models.TextField("评分标准（原文）", blank=True)
    manual_score = models.DecimalField("人工评分", max_digits=5, decimal_places=2, null=True, blank=True)
    drill_url = models.CharField("明细页面（URL 名）", max_length=60, blank=True)
    sort_order = models.PositiveIntegerField("顺序", default=0)
    effective_from = models.DateField("生效日期")
    source = models.CharField("依据", max_length=200, blank=True, help_text="文件名称、文号及条款")

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["sort_order", "code", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["code", "effective_from"], name="one_indicator_version_a_day")]

    def __str__(self):
        return f"{self.name}（{self.points}分，{self.effective_from} 起）"

    def clean(self):
        errors = {}
        needed = RULE_PARAMS.get(self.rule, set())
        params = self.params if isinstance(self.params, dict) else None
        if params is None:
            errors["params"] = "计分参数应为 JSON 对象"
        elif needed - set(params):
            errors["params"] = f"“{self.get_rule_display()}”需要参数：{'、'.join(sorted(needed - set(params)))}"
        if self.rule not in ENTERED_RULES and self.measure not in MEASURES:
            errors["measure"] = f"未知的数据来源“{self.measure}”，可选：{'、'.join(sorted(MEASURES))}"
        if self.manual_score is not None and not (0 <= self.manual_score <= self.points):
            errors["manual_score"] = f"人工评分应在 0 到 {self.points} 之间"
        if errors:
            raise ValidationError(errors)


# The scorecard's data sources by ``Indicator.measure``: code → (label, function(live figures, indicator)).
# Filled by ``measures.py``'s ``@measure`` when the app is ready (MonitoringConfig.ready).
MEASURES: dict = {}


class IndicatorReading(models.Model):
    """An indicator's value on a day (taken nightly), so the dashboard can draw its trend."""

    code = models.SlugField("指标代码", max_length=40)
    day = models.DateField("日期")
    value = models.FloatField("数值", null=True)
    detail = models.JSONField("明细", default=dict, blank=True)

    class Meta:
        verbose_name = "指标读数"
        verbose_name_plural = "指标读数"
        ordering = ["code", "day"]
        constraints = [models.UniqueConstraint(fields=["code", "day"], name="one_reading_a_day")]

    def __str__(self):
        return f"{self.code} {self.day} = {self.value}"


def _evidence_path(instance, filename):
    # Never the uploader's file name on disk: a random name under the private media root.
    import uuid

    return f"scorecard/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{instance.extension}"


class ManualEntry(models.Model):
    """A fact the platform cannot measure, entered by the credit center with its evidence.

    For a 人工评分 line (e.g. 国家城市信用监测排名, 风险防范) it is the score given for the
    assessment period; the latest entry of the period counts and earlier ones stay as history.
    For the 扣分事项 line it is one deduction (``item`` names which, ``month`` when it happened).
    Rows are never edited or deleted: a correction is a new entry, and every row is audit-logged.
    """

    code = models.SlugField("指标代码", max_length=40)
    item = models.SlugField("扣分事项", max_length=40, blank=True)
    month = models.DateField("所属月份", help_text="当月第一天")
    points = models.DecimalField("分数", max_digits=5, decimal_places=2, help_text="人工评分为得分；扣分事项为扣减分数")
    note = models.TextField("说明")
    file = models.FileField("佐证材料", upload_to=_evidence_path, max_length=200)
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=50)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    entered_at = models.DateTimeField("录入时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "人工评分与扣分登记"
        verbose_name_plural = "人工评分与扣分登记"
        ordering = ["code", "-entered_at", "-pk"]
        indexes = [models.Index(fields=["code", "month"], name="manual_entry_code_month_idx")]

    def __str__(self):
        return f"{self.code} {self.month:%Y-%m} {self.points}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("人工评分与扣分登记不能修改，如需更正请重新登记。")
        super().save(*args, **kwargs)

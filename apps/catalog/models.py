from django.conf import settings
from django.db import models

from .choices import Family, FieldType, PolicyKey, Role


class RecordType(models.Model):
    """One entry of the 公共信用信息目录: a kind of record and how it is handled.

    Adding a type is adding rows here and in FieldSpec (a fixture or the admin):
    forms, templates, upload, API and validation are all generated from them.
    """

    code = models.SlugField("类型代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    family = models.CharField("信息类别", max_length=30, choices=Family.choices)
    power = models.ForeignKey(
        "accounts.Power",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="record_types",
        verbose_name="对应职权",
        help_text="持有该职权的部门负责报送，并计入上报率",
    )
    is_public = models.BooleanField("向社会公示", default=True)
    requires_authorisation = models.BooleanField("需主体授权采集", default=False)
    self_declared = models.BooleanField("主体自愿注册", default=False)
    description = models.TextField("说明", blank=True)
    version = models.PositiveIntegerField("目录版本", default=1, help_text="字段规则变更时递增；记录保存其校验时的版本")
    effective_from = models.DateField("生效日期")
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "信息类型"
        verbose_name_plural = "信息类型"
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class FieldSpec(models.Model):
    record_type = models.ForeignKey(
        RecordType, on_delete=models.CASCADE, related_name="fields", verbose_name="信息类型"
    )
    code = models.CharField("字段代码", max_length=40, help_text="国家标准字段代码，如 CF_WSH")
    label = models.CharField("字段名称", max_length=80, help_text="与国家模板表头一致")
    field_type = models.CharField("数据类型", max_length=20, choices=FieldType.choices, default=FieldType.TEXT)
    role = models.CharField("平台用途", max_length=30, choices=Role.choices, blank=True, default="")
    required = models.BooleanField("必填", default=False)
    required_when = models.JSONField(
        "条件必填", null=True, blank=True, help_text='如 {"field": "CF_CFLB", "contains": "罚款"}'
    )
    forbidden_when = models.JSONField(
        "条件禁填", null=True, blank=True, help_text='如 {"field": "CF_XDR_LB", "in": ["自然人"]}'
    )
    choices = models.JSONField("枚举值", default=list, blank=True)
    choices_from = models.CharField(
        "枚举来源",
        max_length=40,
        blank=True,
        help_text="枚举值取自平台数据（如 list_type：名单类型），此时忽略“枚举值”",
    )
    max_length = models.PositiveIntegerField("最大长度", null=True, blank=True)
    decimal_places = models.PositiveSmallIntegerField("小数位数", null=True, blank=True)
    aliases = models.JSONField("其他表头写法", default=list, blank=True)
    help_text = models.CharField("填写说明", max_length=200, blank=True)
    is_public = models.BooleanField("公开", default=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "字段"
        verbose_name_plural = "字段"
        ordering = ["record_type", "order"]
        constraints = [models.UniqueConstraint(fields=["record_type", "code"], name="field_code_unique_per_type")]

    def __str__(self):
        return f"{self.record_type.code}.{self.code} {self.label}"


class PolicyQuerySet(models.QuerySet):
    def in_force(self, key, *, on, record_type=None):
        """Rules of ``key`` in force on a day: the latest effective one, type-specific first."""
        rows = self.filter(key=key, effective_from__lte=on).order_by("-effective_from", "-pk")
        if record_type is not None:
            specific = rows.filter(record_type=record_type).first()
            if specific is not None:
                return specific
        return rows.filter(record_type__isnull=True).first()


class Policy(models.Model):
    """A number the rules depend on (a deadline, a publicity period …), with the day it takes effect.

    Rows are never edited in place to change policy: a new row with a later
    ``effective_from`` supersedes the old one, so records decided under the old
    rule keep being judged by it.
    """

    key = models.CharField("政策项", max_length=50, choices=PolicyKey.choices)
    record_type = models.ForeignKey(
        RecordType, null=True, blank=True, on_delete=models.CASCADE, related_name="policies", verbose_name="信息类型"
    )
    value = models.JSONField("取值", null=True, blank=True, help_text="空值表示“不适用”")
    effective_from = models.DateField("生效日期")
    basis = models.CharField("依据", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = "政策参数"
        verbose_name_plural = "政策参数"
        ordering = ["key", "-effective_from"]

    def __str__(self):
        scope = self.record_type.name if self.record_type_id else "全部类型"
        return f"{self.get_key_display()}（{scope}，{self.effective_from} 起）= {self.value}"

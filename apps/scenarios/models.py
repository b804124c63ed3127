from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .choices import Category, NeedStatus, OfferStatus, UseChannel
from .rules import validate_rule


class Scenario(models.Model):
    """One 信易+ incentive scenario; its eligibility rule is data (see ``rules.py``)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    owner = models.CharField("提供单位", max_length=100)
    benefits = models.TextField("激励内容")
    rule = models.JSONField("适用条件", help_text='{"all": [{"field": "grade", "op": "in", "value": ["A", "B"]}, …]}')
    partners = models.ManyToManyField(
        "accounts.ApiKey", blank=True, related_name="scenarios", verbose_name="可调用接口的合作方"
    )
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "信易+场景"
        verbose_name_plural = "信易+场景"
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)

    def clean(self):
        problems = validate_rule(self.rule)
        if problems:
            raise ValidationError({"rule": problems})


class ScenarioUse(models.Model):
    """Each eligibility check (a subject looking, or a partner asking through the API)."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="uses")
    subject = models.ForeignKey("subjects.Subject", null=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField("渠道", max_length=10, choices=UseChannel.choices)
    api_key = models.ForeignKey("accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    query = models.CharField("查询代码", max_length=64)
    eligible = models.BooleanField("符合条件")
    reasons = models.JSONField("不符合原因", default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "场景使用记录"
        verbose_name_plural = "场景使用记录"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.scenario_id} {self.query}"


class Bank(models.Model):
    """A partner bank of 信易贷; it calls the API with its own key."""

    name = models.CharField("名称", max_length=100, unique=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    api_key = models.OneToOneField(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="bank"
    )

    class Meta:
        verbose_name = "合作银行"
        verbose_name_plural = "合作银行"

    def __str__(self):
        return self.name


class LoanAuthorisation(models.Model):
    """An enterprise's authorisation for a bank to see its credit summary."""

    subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE, related_name="loan_authorisations")
    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="authorisations")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "信息查询授权"
        verbose_name_plural = "信息查询授权"

    def __str__(self):
        return f"{self.subject_id} → {self.bank_id}"


class FinancingNeed(models.Model):
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="financing_needs")
    amount = models.DecimalField("融资金额（万元）", max_digits=12, decimal_places=2)
    term_months = models.PositiveSmallIntegerField("期限（月）")
    purpose = models.CharField("用途", max_length=200)
    status = models.CharField("状态", max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "融资需求"
        verbose_name_plural = "融资需求"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.subject} {self.amount}万元"


class LoanOffer(models.Model):
    need = models.ForeignKey(FinancingNeed, on_delete=models.CASCADE, related_name="offers")
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="offers")
    product = models.CharField("产品", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=OfferStatus.choices, default=OfferStatus.OFFERED)
    granted_amount = models.DecimalField("授信金额（万元）", max_digits=12, decimal_places=2, null=True, blank=True)
    lent_amount = models.DecimalField("放款金额（万元）", max_digits=12, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField("年利率（%）", max_digits=5, decimal_places=2, null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "银行对接"
        verbose_name_plural = "银行对接"
        constraints = [models.UniqueConstraint(fields=["need", "bank"], name="one_offer_per_bank_need")]

    def __str__(self):
        return f"{self.need_id} {self.bank_id} {self.get_status_display()}"

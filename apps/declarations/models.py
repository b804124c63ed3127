from django.conf import settings
from django.db import models

from .choices import DeclarationKind, DeclarationStatus


class Declaration(models.Model):
    """Information a subject declares about itself (自愿注册, 文登 #9; 平陆 #3), with its truthfulness pledge.

    Shown marked 自主申报（未核实）until the department the subject named verifies it; the department may
    reject it with a reason. The pledge is stored as the subject saw it, with when it was given, because
    a false declaration is a breach of that pledge.
    """

    subject = models.ForeignKey(
        "subjects.Subject", on_delete=models.CASCADE, related_name="declarations", verbose_name="主体"
    )
    kind = models.CharField("信息类别", max_length=20, choices=DeclarationKind.choices)
    title = models.CharField("名称", max_length=200, help_text="如：证书名称、荣誉名称、合同名称")
    content = models.TextField("内容", help_text="证书编号、等级、合同标的与履行情况、公益活动内容等")
    issuer = models.CharField(
        "颁发或认定单位／合同相对方", max_length=200, blank=True, help_text="颁发证书、授予荣誉的单位或合同相对方"
    )
    occurred_on = models.DateField("取得或发生日期")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="declarations",
        verbose_name="核实部门",
        help_text="负责核实本条信息的主管部门",
    )
    pledge = models.TextField("信用承诺")
    pledged_at = models.DateTimeField("承诺时间")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="申报人"
    )
    status = models.CharField(
        "状态", max_length=10, choices=DeclarationStatus.choices, default=DeclarationStatus.PENDING, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("核实时间", null=True, blank=True)
    review_note = models.CharField("核实意见／不通过原因", max_length=500, blank=True)
    created_at = models.DateTimeField("申报时间", auto_now_add=True)

    class Meta:
        verbose_name = "自主申报信息"
        verbose_name_plural = "自主申报信息"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["subject", "status"]), models.Index(fields=["department", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.title}"

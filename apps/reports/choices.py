from django.db import models


class ReportKind(models.TextChoices):
    STANDARD = "standard", "信用报告（标准版）"
    SPECIAL = "special", "专用信用报告（替代有无违法违规记录证明）"


class Purpose(models.TextChoices):
    """Why the report is wanted; logged with every issuance (DOMAIN.md §11)."""

    BIDDING = "bidding", "招标投标"
    FINANCING = "financing", "融资信贷"
    LISTING = "listing", "上市融资、再融资"
    QUALIFICATION = "qualification", "资质审核、评优评先"
    ADMINISTRATION = "administration", "行政审批、政府采购"
    COOPERATION = "cooperation", "商务合作"
    SELF_CHECK = "self_check", "自查"
    OTHER = "other", "其他"

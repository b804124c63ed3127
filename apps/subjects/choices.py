from django.db import models


class SubjectKind(models.TextChoices):
    LEGAL = "legal", "法人及非法人组织"
    INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
    PERSON = "person", "自然人"


class OperatingStatus(models.TextChoices):
    OPERATING = "operating", "存续（在营、开业、在册）"
    REVOKED = "revoked", "吊销"
    CANCELLED = "cancelled", "注销"
    MOVED_OUT = "moved_out", "迁出"
    OTHER = "other", "其他"


# The legacy identifiers a subject may carry besides the USCC (DOMAIN.md §2).
LEGACY_CODE_FIELDS = (
    ("registration_number", "工商注册号"),
    ("organization_code", "组织机构代码"),
    ("tax_number", "税务登记号"),
    ("institution_number", "事业单位证书号"),
    ("social_org_number", "社会组织登记证号"),
)


class PublicBody(models.TextChoices):
    """Government bodies and public institutions among legal persons (seed 001: 机构失信被执行情况)."""

    ORGAN = "organ", "机关"
    INSTITUTION = "institution", "事业单位"

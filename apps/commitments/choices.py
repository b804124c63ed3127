from django.db import models


class CommitmentType(models.TextChoices):
    """The seven types (七型) of DOMAIN.md §8."""

    APPROVAL_SUBSTITUTE = "approval_substitute", "审批替代型"
    TOLERANCE = "tolerance", "容缺受理型"
    DISCLOSURE = "disclosure", "主动公开型"
    INDUSTRY = "industry", "行业自律型"
    REPAIR = "repair", "信用修复型"
    CERTIFICATE = "certificate", "证明事项告知承诺型"
    OTHER = "other", "其他"


class Channel(models.TextChoices):
    ONLINE = "online", "网上签署"
    PAPER = "paper", "纸质承诺（部门录入）"
    IMPORT = "import", "批量导入"


class CommitmentStatus(models.TextChoices):
    SIGNED = "signed", "待履约核实"
    FULFILLED = "fulfilled", "全部履行"
    PARTIAL = "partial", "部分履行"
    BREACHED = "breached", "全部未履行"


class Outcome(models.TextChoices):
    FULFILLED = "fulfilled", "全部履行"
    PARTIAL = "partial", "部分履行"
    BREACHED = "breached", "全部未履行"

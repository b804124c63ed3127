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


# The types handled on a 告知承诺 (notification and commitment, 国办发〔2020〕42号): 证明事项告知承诺 and the
# 涉企经营许可事项 whose approval the commitment replaces (审批替代型). Their matters make the public
# 告知承诺办理事项清单 (平陆 #9); the other types are commitments, but not a way of handling a matter.
NOTICE_COMMITMENT_TYPES = (CommitmentType.CERTIFICATE, CommitmentType.APPROVAL_SUBSTITUTE)


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

from django.db import models


class Role(models.TextChoices):
    CLERK = "clerk", "部门填报员"
    REVIEWER = "reviewer", "部门审核员"
    CENTER = "center", "信用中心"
    ADMIN = "admin", "管理员"
    SUBJECT = "subject", "信用主体"


# Roles that belong to a department and must have one.
DEPARTMENT_ROLES = {Role.CLERK, Role.REVIEWER}
# Roles that work in the back office (can see unmasked data where the view allows).
STAFF_ROLES = {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}


class SubjectAccountKind(models.TextChoices):
    ENTERPRISE = "enterprise", "企业及其他组织"
    PERSON = "person", "自然人"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已驳回"


class ClaimAttemptOutcome(models.TextChoices):
    """What became of one submission of the claim form (the center's attempts page counts these)."""

    FILED = "filed", "已受理"
    INVALID = "invalid", "格式有误"
    DUPLICATE = "duplicate", "重复提交"
    RATE_LIMITED = "rate_limited", "超过频率限制"
    LOCKED = "locked", "账号已暂停认领"

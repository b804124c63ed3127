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

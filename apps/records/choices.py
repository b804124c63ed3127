from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    PENDING_REVIEW = "pending_review", "待部门审核"
    PUBLISHED = "published", "已报送"
    EXPIRED = "expired", "公示期满"
    REVOKED = "revoked", "已撤销"


class Severity(models.TextChoices):
    MINOR = "minor", "轻微失信"
    GENERAL = "general", "一般失信"
    SERIOUS = "serious", "严重失信"


# The words of the 失信行为严重程度 column (catalog role ``severity``) as the catalog stores them.
SEVERITY_BY_WORD = {"轻微": Severity.MINOR, "一般": Severity.GENERAL, "严重": Severity.SERIOUS}


class SeveritySource(models.TextChoices):
    STATED = "stated", "部门标明"
    DERIVED = "derived", "按规则推定"


class Source(models.TextChoices):
    FORM = "form", "网页填报"
    UPLOAD = "upload", "文件上传"
    API = "api", "接口推送"
    COMMAND = "command", "命令导入"


class Action(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    SUBMIT = "submit", "提交"
    APPROVE = "approve", "审核通过"
    RETURN = "return", "退回"
    CORRECT = "correct", "更正"
    REVOKE = "revoke", "撤销"
    EXPIRE = "expire", "公示期满撤下"
    REMOVE = "remove", "移出名单"


class UploadStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "处理中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", "接收"
    UPDATED = "updated", "更新"
    DUPLICATE = "duplicate", "重复（未变化）"
    REJECTED = "rejected", "拒收"

from django.db import models


class RepairState(models.TextChoices):
    SUBMITTED = "submitted", "待受理"
    REFUSED = "refused", "不予受理"
    DEPARTMENT_REVIEW = "department_review", "部门核实中"
    CENTER_REVIEW = "center_review", "信用中心审核中"
    SUPPLEMENT = "supplement", "待补充材料"
    APPROVED = "approved", "准予修复"
    REJECTED = "rejected", "不予修复"
    WITHDRAWN = "withdrawn", "已撤回"


# States in which the case is with staff and its step deadline runs.
REPAIR_STAFF_STATES = (RepairState.SUBMITTED, RepairState.DEPARTMENT_REVIEW, RepairState.CENTER_REVIEW)
REPAIR_OPEN_STATES = (*REPAIR_STAFF_STATES, RepairState.SUPPLEMENT)
REPAIR_CLOSED_STATES = (RepairState.REFUSED, RepairState.APPROVED, RepairState.REJECTED, RepairState.WITHDRAWN)


class RepairAction(models.TextChoices):
    SUBMIT = "submit", "提交申请"
    ACCEPT = "accept", "受理"
    REFUSE = "refuse", "不予受理"
    VERIFY = "verify", "部门核实"
    REQUEST_SUPPLEMENT = "request_supplement", "要求补充材料"
    SUPPLEMENT = "supplement", "补充材料"
    APPROVE = "approve", "准予修复"
    REJECT = "reject", "不予修复"
    WITHDRAW = "withdraw", "撤回申请"
    ESCALATE = "escalate", "超期督办"


class ObjectionState(models.TextChoices):
    SUBMITTED = "submitted", "待受理"
    REFUSED = "refused", "不予受理"
    VERIFYING = "verifying", "部门核实中"
    CLOSED = "closed", "已办结"
    WITHDRAWN = "withdrawn", "已撤回"


OBJECTION_OPEN_STATES = (ObjectionState.SUBMITTED, ObjectionState.VERIFYING)


class ObjectionOutcome(models.TextChoices):
    CORRECTED = "corrected", "更正"
    REVOKED = "revoked", "撤销"
    UPHELD = "upheld", "维持"


class ObjectionAction(models.TextChoices):
    SUBMIT = "submit", "提出异议"
    ACCEPT = "accept", "受理"
    REFUSE = "refuse", "不予受理"
    CORRECT = "correct", "核实后更正"
    REVOKE = "revoke", "核实后撤销"
    UPHOLD = "uphold", "核实后维持"
    WITHDRAW = "withdraw", "撤回异议"
    ESCALATE = "escalate", "超期督办"


class MaterialKind(models.TextChoices):
    COMMITMENT = "commitment", "信用修复承诺书（签章）"
    FULFILMENT = "fulfilment", "履行法定义务、纠正失信行为的证明"
    TRAINING = "training", "信用修复培训证明"
    CREDIT_REPORT = "credit_report", "信用报告"
    EVIDENCE = "evidence", "异议证明材料"
    OTHER = "other", "其他材料"


class DueFlag(models.TextChoices):
    NONE = "", "正常"
    DUE_SOON = "due_soon", "临期"
    OVERDUE = "overdue", "超期"


class BatchState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class NoticeServiceMethod(models.TextChoices):
    """How a 信用修复告知书 was served (the ways 行政处罚法 第六十一条 allows for the decision itself)."""

    IN_PERSON = "in_person", "当场送达"
    POST = "post", "邮寄送达"
    ELECTRONIC = "electronic", "电子送达"
    PUBLIC = "public", "公告送达"
    OTHER = "other", "其他"

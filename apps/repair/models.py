"""Credit repair applications and objections, each with a history row per transition and their materials.

A case is always about one record (a 双公示 record or the record behind a list
entry), so department scoping reads ``department`` — the record's providing
department, copied here when the case is filed.
"""

from django.conf import settings
from django.db import models

from .choices import (
    REPAIR_OPEN_STATES,
    BatchState,
    DueFlag,
    MaterialKind,
    NoticeServiceMethod,
    ObjectionAction,
    ObjectionOutcome,
    ObjectionState,
    RepairAction,
    RepairState,
)


class CaseFields(models.Model):
    """What repair applications and objections share: the record, the step deadline and its flag."""

    number = models.CharField("编号", max_length=20, unique=True)
    # No database constraint: records_record is partitioned by decision year and has no unique key on id
    # alone to point at (apps/records/partitions.py). The ORM's on_delete still applies.
    record = models.ForeignKey(
        "records.Record", on_delete=models.PROTECT, related_name="+", verbose_name="信用信息", db_constraint=False
    )
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="+", verbose_name="信息提供部门"
    )
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    contact_email = models.EmailField("电子邮箱", blank=True)
    step_started_on = models.DateField("本环节起始日")
    due_on = models.DateField("本环节办理期限", null=True, blank=True, db_index=True)
    due_calendar = models.CharField("期限所用日历", max_length=10, blank=True)
    due_flag = models.CharField("期限提醒", max_length=10, choices=DueFlag.choices, blank=True, default="")
    escalated_at = models.DateTimeField("超期督办时间", null=True, blank=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RepairApplication(CaseFields):
    subject = models.ForeignKey(
        "subjects.Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="repair_applications"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repair_applications",
        verbose_name="申请账号",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="代为录入",
        help_text="窗口工作人员代主体录入时",
    )
    statement = models.TextField("纠正失信行为情况说明")
    state = models.CharField("状态", max_length=20, choices=RepairState.choices, default=RepairState.SUBMITTED)
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    resume_state = models.CharField("补充材料后回到", max_length=20, choices=RepairState.choices, blank=True)
    supplement_request = models.CharField("补充材料要求", max_length=500, blank=True)
    department_opinion = models.TextField("部门核实意见", blank=True)
    department_agrees = models.BooleanField("部门同意修复", null=True)
    decision_reason = models.TextField("决定理由", blank=True)

    class Meta:
        verbose_name = "信用修复申请"
        verbose_name_plural = "信用修复申请"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "due_on"]), models.Index(fields=["department", "state"])]

    def __str__(self):
        return f"{self.number} {self.record.subject_name}"

    @property
    def is_open(self):

        return self.state in REPAIR_OPEN_STATES


class CaseEvent(models.Model):
    """One transition of a case (repair application or objection): who moved it from which state to which, and why.

    Each concrete history names its case's foreign key and the choices of its own states and actions.
    """

    action = models.CharField("操作", max_length=20)
    from_state = models.CharField("原状态", max_length=20, blank=True)
    to_state = models.CharField("新状态", max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField("操作方", max_length=100, blank=True)
    reason = models.TextField("意见/理由", blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class RepairEvent(CaseEvent):
    """History of a repair application: one row per transition."""

    application = models.ForeignKey(RepairApplication, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=20, choices=RepairAction.choices)
    from_state = models.CharField("原状态", max_length=20, choices=RepairState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=20, choices=RepairState.choices)

    class Meta(CaseEvent.Meta):
        verbose_name = "信用修复办理记录"
        verbose_name_plural = "信用修复办理记录"

    def __str__(self):
        return f"{self.application_id} {self.get_action_display()}"


class Objection(CaseFields):
    filer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objections",
        verbose_name="申请账号",
        help_text="公众提交的为空",
    )
    contact_id_masked = models.CharField("申请人证件号码（脱敏）", max_length=18, blank=True)
    # A public objector has no account: the number (sequential, guessable) and a random code shown once
    # at submission let them look the case up. Only the code's SHA-256 is kept.
    lookup_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    relation = models.CharField("与该信息的关系", max_length=100)
    grounds = models.TextField("异议内容及理由")
    requested_change = models.TextField("请求更正的内容", blank=True)
    state = models.CharField("状态", max_length=20, choices=ObjectionState.choices, default=ObjectionState.SUBMITTED)
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    outcome = models.CharField("处理结果", max_length=10, choices=ObjectionOutcome.choices, blank=True)
    reply = models.TextField("答复", blank=True)

    class Meta:
        verbose_name = "异议申请"
        verbose_name_plural = "异议申请"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "due_on"]), models.Index(fields=["department", "state"])]

    def __str__(self):
        return f"{self.number} {self.record.subject_name}"


class ObjectionEvent(CaseEvent):
    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=20, choices=ObjectionAction.choices)
    from_state = models.CharField("原状态", max_length=20, choices=ObjectionState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=20, choices=ObjectionState.choices)
    reason = models.TextField("意见/答复", blank=True)

    class Meta(CaseEvent.Meta):
        verbose_name = "异议办理记录"
        verbose_name_plural = "异议办理记录"

    def __str__(self):
        return f"{self.objection_id} {self.get_action_display()}"


def _material_path(instance, filename):
    # Never the uploader's file name on disk: a random name under the private media root.
    import uuid

    return f"repair/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}{instance.extension}"


class Material(models.Model):
    """An uploaded file of a repair application or an objection, checked by content, stored outside the web root."""

    application = models.ForeignKey(
        RepairApplication, null=True, blank=True, on_delete=models.CASCADE, related_name="materials"
    )
    objection = models.ForeignKey(Objection, null=True, blank=True, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField("材料类别", max_length=20, choices=MaterialKind.choices)
    file = models.FileField(upload_to=_material_path, max_length=200)
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=50)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(application__isnull=False, objection__isnull=True)
                | models.Q(application__isnull=True, objection__isnull=False),
                name="material_belongs_to_one_case",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.original_name}"


def _batch_path(instance, filename):
    import uuid

    return f"repair/notices/{uuid.uuid4().hex}.zip"


class NoticeBatch(models.Model):
    """A bulk download of 信用修复告知书 in one zip, built by a Celery task: for the penalties decided in a
    period, or (``upload`` set) for the penalties one upload stored, so they are served with the decisions.

    Scoped like the records it holds: ``department`` is the requester's (empty: the credit center, all
    departments), and only that department's staff (and the center) see the batch and its file.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="部门"
    )
    date_from = models.DateField("决定日期自", null=True, blank=True)
    date_to = models.DateField("决定日期至", null=True, blank=True)
    upload = models.ForeignKey(
        "records.Upload", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name="上传批次"
    )
    state = models.CharField("状态", max_length=10, choices=BatchState.choices, default=BatchState.QUEUED)
    total = models.PositiveIntegerField("份数", default=0)
    done = models.PositiveIntegerField("已生成", default=0)
    file = models.FileField(upload_to=_batch_path, max_length=200, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "告知书批量下载"
        verbose_name_plural = "告知书批量下载"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"告知书 {self.scope_label}（{self.total} 份）"

    @property
    def scope_label(self) -> str:
        if self.upload_id:
            return f"上传批次 {self.upload_id}"
        return f"{self.date_from:%Y-%m-%d}—{self.date_to:%Y-%m-%d}"

    @property
    def finished(self) -> bool:
        return self.state in (BatchState.DONE, BatchState.FAILED)

    @property
    def percent(self) -> int:
        if self.state == BatchState.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def filename(self) -> str:
        if self.upload_id:
            return f"信用修复告知书-上传批次{self.upload_id}.zip"
        return f"信用修复告知书-{self.date_from:%Y%m%d}-{self.date_to:%Y%m%d}.zip"


class NoticeService(models.Model):
    """When and how a penalty's 信用修复告知书 was served (送达), as the clerk records it.

    One row per record: recording again replaces the row, and django-auditlog keeps what it replaced.
    ``served_with_decision`` is 两书同达 — the notice served on the decision date, i.e. with the
    decision — and is derived from the dates, not ticked, so the department page's coverage is checkable.
    """

    # No database constraint: records_record is partitioned by decision year and has no unique key on id
    # alone to point at (apps/records/partitions.py). The ORM's on_delete still applies.
    record = models.OneToOneField(
        "records.Record",
        on_delete=models.CASCADE,
        related_name="notice_service",
        verbose_name="行政处罚",
        db_constraint=False,
    )
    served_on = models.DateField("送达日期")
    method = models.CharField("送达方式", max_length=10, choices=NoticeServiceMethod.choices)
    note = models.CharField("备注", max_length=200, blank=True)
    served_with_decision = models.BooleanField("两书同达", default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    recorded_by_label = models.CharField("登记方", max_length=100, blank=True, help_text="接口登记时为系统名称")
    recorded_at = models.DateTimeField("登记时间", auto_now=True)

    class Meta:
        verbose_name = "告知书送达"
        verbose_name_plural = "告知书送达"
        ordering = ["-served_on", "-pk"]

    def __str__(self):
        return f"{self.record_id} {self.get_method_display()} {self.served_on:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        # Derived on every save (form, bulk, API, admin) so no path can claim 两书同达 the dates do not show.
        self.served_with_decision = self.served_on == self.record.decision_date
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "served_with_decision"}
        super().save(*args, **kwargs)

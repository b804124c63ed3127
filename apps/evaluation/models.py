import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .choices import GradeSource, InterviewStatus, RunMethod, RunStatus, SampleBasis
from .scoring import validate_grades, validate_indicators


class ScoringModelQuerySet(models.QuerySet):
    def in_force(self, *, on: datetime.date):
        return self.filter(is_active=True, effective_from__lte=on).order_by("-effective_from", "-version").first()


class ScoringModel(models.Model):
    """A versioned, published scoring model (see ``scoring.py`` for its meaning).

    A changed model is a new version with a later ``effective_from``: grades
    keep the version they were computed with, so every grade can be explained.
    """

    version = models.PositiveIntegerField("版本", unique=True)
    name = models.CharField("名称", max_length=100)
    effective_from = models.DateField("生效日期")
    base_score = models.IntegerField("基础分", default=100)
    indicators = models.JSONField("指标", help_text="见文档：代码、名称、来源、筛选条件、分值、封顶")
    grades = models.JSONField("等级划分", help_text='如 [{"code": "A", "label": "诚信", "min": 90, "max": 100}, …]')
    notes = models.TextField("说明", blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScoringModelQuerySet.as_manager()

    class Meta:
        verbose_name = "信用评价模型"
        verbose_name_plural = "信用评价模型"
        ordering = ["-version"]

    def __str__(self):
        return f"{self.name}（第{self.version}版）"

    def save(self, *args, **kwargs):
        # Rejected on every save path (admin, fixtures loaded in code, shell), not only in forms.
        self.clean()
        super().save(*args, **kwargs)

    def clean(self):
        problems = validate_indicators(self.indicators) + validate_grades(self.grades)
        if problems:
            raise ValidationError(problems)

    @property
    def score_range(self) -> tuple[int, int]:
        return min(g["min"] for g in self.grades), max(g["max"] for g in self.grades)

    def grade_for(self, score: int) -> str:
        for g in self.grades:
            if g["min"] <= score <= g["max"]:
                return g["code"]
        raise ValueError(score)

    def grade_label(self, code: str) -> str:
        return next((g["label"] for g in self.grades if g["code"] == code), code)

    def grades_best_first(self) -> list[dict]:
        return sorted(self.grades, key=lambda g: -g["max"])


class SupervisionPolicy(models.Model):
    """Graded-supervision policy, versioned by date: per-grade 双随机 factors, provincial precedence."""

    effective_from = models.DateField("生效日期")
    grade_factors = models.JSONField(
        "各等级抽查系数",
        help_text='相对于任务基础比例的倍数，如 {"A": 0.5, "B": 1, "C": 1.5, "D": 3, "": 1}（"" 为未评价）',
    )
    provincial_precedence = models.BooleanField("省级评价结果优先", default=True)
    basis = models.TextField("依据", blank=True, help_text="来源文件及条款")
    # The seeds' classes (淄博 #5: 诚信守法 / 轻微失信 / 一般失信 / 严重失信; 平陆 #7: 优 / 良 / 中 / 差) named per grade
    # code of the scoring model, so pages and the sample say which class a grade is treated as.
    tiers = models.JSONField(
        "各等级监管类别", default=dict, blank=True, help_text='如 {"A": "诚信守法", "B": "轻微失信", …}'
    )
    # 淄博 #5: 轻微失信、一般失信 — apart from what superiors order, one random joint inspection a year.
    yearly_caps = models.JSONField(
        "每年随机抽查次数上限",
        default=dict,
        blank=True,
        help_text='按等级，如 {"B": 1, "C": 1}；重点领域不受限制；未列出的等级不限',
    )
    # 平陆 #7: grade 差 → the supervising department holds a warning interview with the principal.
    interview_grades = models.JSONField("触发警示约谈的等级", default=list, blank=True, help_text='如 ["D"]')
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "分级分类监管政策"
        verbose_name_plural = "分级分类监管政策"
        ordering = ["-effective_from"]

    def __str__(self):
        return f"{self.effective_from} 起"

    @classmethod
    def in_force(cls, *, on: datetime.date):
        row = cls.objects.filter(effective_from__lte=on).order_by("-effective_from", "-pk").first()
        if row is None:
            raise ValidationError(f"缺少 {on} 适用的分级分类监管政策，请信用中心补充。")
        return row

    def clean(self):
        factors = self.grade_factors
        if not isinstance(factors, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in factors.values()
        ):
            raise ValidationError("各等级抽查系数应为非负数。")
        caps = self.yearly_caps
        if not isinstance(caps, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in caps.values()
        ):
            raise ValidationError("每年随机抽查次数上限应为不小于 1 的整数。")
        if not isinstance(self.interview_grades, list) or not all(isinstance(g, str) for g in self.interview_grades):
            raise ValidationError("触发警示约谈的等级应为等级代码的列表。")

    def tier(self, grade: str) -> str:
        """The supervision class a grade is treated as (the grade code itself when the policy names none)."""
        return (self.tiers or {}).get(grade or "", "") or (grade or "未评价")

    def yearly_cap(self, grade: str) -> int | None:
        return (self.yearly_caps or {}).get(grade or "")


class EvaluationRun(models.Model):
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="runs")
    on = models.DateField("评价基准日")
    method = models.CharField("方式", max_length=10, choices=RunMethod.choices)
    status = models.CharField("状态", max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    subjects = models.PositiveIntegerField("主体数", default=0)
    changed = models.PositiveIntegerField("等级变化数", default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "评价批次"
        verbose_name_plural = "评价批次"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.on} {self.get_status_display()}"


class SubjectGrade(models.Model):
    """A subject's current grade; ``details`` holds the indicator counts it was computed from."""

    subject = models.OneToOneField("subjects.Subject", on_delete=models.CASCADE, related_name="grade")
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+")
    score = models.IntegerField("得分")
    computed_grade = models.CharField("模型等级", max_length=10)
    grade = models.CharField("信用等级", max_length=10, db_index=True)
    source = models.CharField("等级来源", max_length=12, choices=GradeSource.choices)
    details = models.JSONField("指标计数", default=dict)
    run = models.ForeignKey(EvaluationRun, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField("最近变化时间")

    class Meta:
        verbose_name = "主体信用等级"
        verbose_name_plural = "主体信用等级"

    def __str__(self):
        return f"{self.subject_id} {self.grade}"


class GradeChange(models.Model):
    """Grade history: one row whenever a subject's grade changes (the first grade included)."""

    subject = models.ForeignKey("subjects.Subject", on_delete=models.CASCADE, related_name="grade_changes")
    run = models.ForeignKey(EvaluationRun, null=True, on_delete=models.SET_NULL, related_name="+")
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+")
    grade_from = models.CharField("原等级", max_length=10, blank=True)
    grade_to = models.CharField("新等级", max_length=10)
    score = models.IntegerField("得分")
    source = models.CharField("等级来源", max_length=12, choices=GradeSource.choices)
    changed_at = models.DateTimeField("变化时间")

    class Meta:
        verbose_name = "信用等级变化"
        verbose_name_plural = "信用等级变化"
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["subject", "changed_at"])]

    def __str__(self):
        return f"{self.subject_id} {self.grade_from}→{self.grade_to}"


class ProvincialImport(models.Model):
    original_name = models.CharField("文件名", max_length=255)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    rows = models.PositiveIntegerField("导入行数", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "省级评价结果导入"
        verbose_name_plural = "省级评价结果导入"
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name


class ProvincialGrade(models.Model):
    subject = models.OneToOneField("subjects.Subject", on_delete=models.CASCADE, related_name="provincial_grade")
    grade = models.CharField("省级评价等级", max_length=10)
    evaluated_on = models.DateField("评价日期")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    batch = models.ForeignKey(ProvincialImport, on_delete=models.CASCADE, related_name="grades")

    class Meta:
        verbose_name = "省级评价结果"
        verbose_name_plural = "省级评价结果"

    def __str__(self):
        return f"{self.subject_id} {self.grade}"


class SupervisionField(models.Model):
    """A supervision field (检查领域); special fields are exempt from sampling reductions."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    is_special = models.BooleanField(
        "重点领域", default=False, help_text="疫苗、药品、特种设备、危险化学品等：高等级主体不降低抽查比例"
    )

    class Meta:
        verbose_name = "监管领域"
        verbose_name_plural = "监管领域"
        ordering = ["code"]

    def __str__(self):
        return self.name


class InspectionTask(models.Model):
    name = models.CharField("任务名称", max_length=200)
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="inspection_tasks")
    field = models.ForeignKey(SupervisionField, on_delete=models.PROTECT, related_name="tasks", verbose_name="检查领域")
    population_filter = models.JSONField("抽查对象范围", default=dict, blank=True)
    basis = models.CharField("抽取方式", max_length=10, choices=SampleBasis.choices)
    rate = models.DecimalField("基础抽查比例", max_digits=5, decimal_places=4, null=True, blank=True)
    size = models.PositiveIntegerField("抽查数量", null=True, blank=True)
    inspectors = models.JSONField("执法检查人员", default=list)
    inspectors_per_subject = models.PositiveSmallIntegerField("每户检查人员数", default=2)
    seed = models.BigIntegerField("随机种子", null=True, blank=True)
    policy = models.ForeignKey(SupervisionPolicy, null=True, on_delete=models.PROTECT, related_name="+")
    population_size = models.PositiveIntegerField("对象总数", null=True, blank=True)
    drawn_at = models.DateTimeField("抽取时间", null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    strata = models.JSONField("分层抽取情况", default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "双随机抽查任务"
        verbose_name_plural = "双随机抽查任务"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(basis="rate", rate__isnull=False) | Q(basis="size", size__isnull=False),
                name="inspection_task_rate_or_size",
            )
        ]

    def __str__(self):
        return self.name


class InspectionSample(models.Model):
    task = models.ForeignKey(InspectionTask, on_delete=models.CASCADE, related_name="samples")
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="+")
    grade = models.CharField("抽取时等级", max_length=10, blank=True)
    inspectors = models.JSONField("检查人员", default=list)
    position = models.PositiveIntegerField("序号")

    class Meta:
        verbose_name = "抽查对象"
        verbose_name_plural = "抽查对象"
        ordering = ["task", "position"]
        constraints = [models.UniqueConstraint(fields=["task", "subject"], name="sample_subject_once")]

    def __str__(self):
        return f"{self.task_id} #{self.position}"


class SupervisionInterview(models.Model):
    """警示约谈 a grade triggers (平陆 #7: 对评价结果为“差”级的企业，由主管部门警示性约谈企业主要负责人).

    Opened by the nightly evaluation when a subject's grade is one the policy names; held and recorded by
    the department in charge (谁认定、谁约谈, 文登 #16), whose record joins the subject's credit record.
    Interviews about a list entry are ``lists.WarningInterview``; the subject's pages show both.
    """

    subject = models.ForeignKey(
        "subjects.Subject", on_delete=models.CASCADE, related_name="supervision_interviews", verbose_name="主体"
    )
    grade = models.CharField("触发等级", max_length=10)
    tier = models.CharField("监管类别", max_length=20, blank=True)
    policy = models.ForeignKey(SupervisionPolicy, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(EvaluationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    triggered_on = models.DateField("触发日期")
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_interviews",
        verbose_name="约谈部门",
        help_text="主体最近一条失信信息的认定部门；无法确定的由信用中心办理",
    )
    status = models.CharField(
        "状态", max_length=10, choices=InterviewStatus.choices, default=InterviewStatus.PENDING, db_index=True
    )
    held_on = models.DateField("约谈日期", null=True, blank=True)
    participants = models.CharField("约谈对象", max_length=200, blank=True)
    content = models.TextField("约谈内容及整改要求", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("录入时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "分级监管约谈"
        verbose_name_plural = "分级监管约谈"
        ordering = ["-triggered_on", "-pk"]
        constraints = [
            # The nightly run never opens a second interview while one is waiting.
            models.UniqueConstraint(
                fields=["subject"], condition=Q(status="pending"), name="one_pending_supervision_interview"
            )
        ]

    def __str__(self):
        return f"{self.subject_id} {self.grade} {self.get_status_display()}"

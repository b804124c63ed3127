import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from apps.subjects.codes import check_uscc

from .choices import DEPARTMENT_ROLES, ClaimAttemptOutcome, ClaimStatus, Role, SubjectAccountKind


class Power(models.Model):
    """A kind of authority a department can hold (行政许可, 行政处罚, 名单认定 …).

    Kept as data so a new power (e.g. a new administrative behaviour) needs no
    code; rates like 上报率 count departments by the powers they hold.
    """

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "职权"
        verbose_name_plural = "职权"
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class Department(models.Model):
    code = models.SlugField(
        "部门代码", max_length=40, unique=True, help_text="平台内部代码，接口和导入命令中引用部门时使用"
    )
    name = models.CharField("部门名称", max_length=100, unique=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    region_code = models.CharField("行政区划代码", max_length=6)
    powers = models.ManyToManyField(Power, blank=True, related_name="departments", verbose_name="职权")
    requires_review = models.BooleanField(
        "报送需部门审核", default=False, help_text="开启后，填报员提交的记录须经本部门审核员审核后才报送"
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):

        result = check_uscc(self.uscc or "")
        if not result.valid:
            raise ValidationError({"uscc": result.errors})
        self.uscc = result.code


class User(AbstractUser):
    """Platform account. Staff roles belong to a department where the role needs one;
    subject accounts are tied to a subject once a claim is verified."""

    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.SUBJECT)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="users", verbose_name="所属部门"
    )
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    account_kind = models.CharField(
        "主体账号类型", max_length=20, choices=SubjectAccountKind.choices, blank=True, help_text="仅信用主体账号"
    )
    subject = models.ForeignKey(
        "subjects.Subject",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
        verbose_name="已认领主体",
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.full_name or self.username

    def clean(self):
        super().clean()
        if self.role in DEPARTMENT_ROLES and not self.department_id:
            raise ValidationError({"department": "部门填报员和部门审核员必须指定所属部门。"})
        if self.role not in DEPARTMENT_ROLES and self.department_id:
            raise ValidationError({"department": "只有部门填报员和部门审核员属于部门。"})

    # Role predicates keep permission checks readable in views and templates.
    @property
    def is_clerk(self):
        return self.role == Role.CLERK

    @property
    def is_reviewer(self):
        return self.role == Role.REVIEWER

    @property
    def is_center(self):
        return self.role in (Role.CENTER, Role.ADMIN)

    @property
    def is_subject_account(self):
        return self.role == Role.SUBJECT

    @property
    def is_department_staff(self):
        return self.role in DEPARTMENT_ROLES


def hash_api_key(raw: str) -> str:
    # Keys are long random tokens, so a plain SHA-256 is enough (no need for a
    # slow password hash); only the hash is stored.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(is_active=True).filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))


class ApiKey(models.Model):
    """Credentials of an external system (a department's IT system, a service hall, a partner)."""

    name = models.CharField("系统名称", max_length=100)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys", verbose_name="所属部门"
    )
    prefix = models.CharField("前缀", max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField("权限范围", default=list, blank=True)
    is_active = models.BooleanField("启用", default=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API 密钥"
        verbose_name_plural = "API 密钥"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, name, department=None, scopes=None, created_by=None, expires_at=None):
        """Create a key and return (instance, raw_key). The raw key is shown once only."""
        prefix = secrets.token_hex(4)
        raw = f"{prefix}.{secrets.token_urlsafe(32)}"
        key = cls.objects.create(
            name=name,
            department=department,
            prefix=prefix,
            key_hash=hash_api_key(raw),
            scopes=scopes or [],
            created_by=created_by,
            expires_at=expires_at,
        )
        return key, raw


class SubjectClaim(models.Model):
    """A subject account's request to act for a credit subject, verified by credit-center staff.

    Every well-formed claim is stored as 待审核, whether or not its code and name
    match a subject: the claimant's answer must not tell which, or the form
    becomes an oracle for full ID numbers behind the masked ones. ``matched`` and
    ``subject`` are for the center only (set only on a match); the claimant sees
    the code and name as typed (a person's number masked).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="claims", verbose_name="申请账号")
    code = models.CharField(
        "主体代码", max_length=18, help_text="统一社会信用代码或身份证号码（自然人的身份证号码脱敏保存）"
    )
    # Keyed hash (apps.subjects.pii) of the code as typed: the duplicate check compares the number
    # itself, not its masked form, which thousands of numbers share.
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    matched = models.BooleanField(
        "代码与名称一致",
        null=True,
        editable=False,
        help_text="提交时代码和名称是否与平台登记的主体一致；仅信用中心可见",
    )
    subject = models.ForeignKey(
        "subjects.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="claims", verbose_name="主体"
    )
    subject_name = models.CharField("主体名称", max_length=200)
    evidence = models.TextField("认领说明", help_text="如：法定代表人本人申请，营业执照副本编号 …")
    status = models.CharField("状态", max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="审核人"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=200, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)

    class Meta:
        verbose_name = "主体认领"
        verbose_name_plural = "主体认领"
        ordering = ["-created_at"]
        constraints = [
            # Keyed on what was submitted (code and name), never on the subject found: the refusal
            # of a second pending claim must not tell whether the first one matched.
            models.UniqueConstraint(
                fields=["user", "code_hash", "subject_name"],
                condition=models.Q(status="pending"),
                name="one_pending_claim_per_code_and_name",
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.subject_name}"


class ClaimAttempt(models.Model):
    """One submission of the claim form, whatever became of it: the rate limits, the lock and the
    center's attempts page read this log. It holds no full ID number (a person's is masked)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="claim_attempts", verbose_name="账号")
    client_address = models.CharField("客户端地址", max_length=64, db_index=True)
    outcome = models.CharField("结果", max_length=20, choices=ClaimAttemptOutcome.choices)
    code_shown = models.CharField("提交的代码", max_length=18, blank=True, help_text="自然人的身份证号码脱敏保存")
    claim = models.ForeignKey(
        SubjectClaim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="认领申请"
    )
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "主体认领尝试"
        verbose_name_plural = "主体认领尝试"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"], name="claim_attempt_user_time_idx")]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M} {self.get_outcome_display()}"


class ClaimLock(models.Model):
    """An account barred from filing claims (too many attempts, or the center's decision) until the
    center unlocks it. Kept as history: an unlock closes the row, a new lock opens another."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="claim_locks", verbose_name="账号")
    reason = models.CharField("原因", max_length=200)
    attempts = models.PositiveIntegerField("锁定时的尝试次数", default=0)
    locked_at = models.DateTimeField("锁定时间", default=timezone.now)
    locked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="锁定人"
    )
    # Only a login this lock switched off is switched back on by the unlock (an account an
    # administrator had deactivated for another reason stays off).
    deactivated_login = models.BooleanField("同时停用登录", default=False)
    unlocked_at = models.DateTimeField("解除时间", null=True, blank=True)
    unlocked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="解除人"
    )
    unlock_note = models.CharField("解除说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "认领锁定"
        verbose_name_plural = "认领锁定"
        ordering = ["-locked_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(unlocked_at__isnull=True), name="one_open_claim_lock_per_user"
            )
        ]

    def __str__(self):
        return f"{self.user} {self.reason}"

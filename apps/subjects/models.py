from django.db import models

from .choices import OperatingStatus, PublicBody, SubjectKind

# GB 32100: the first two characters of a USCC name the registering authority and the kind of body.
# 11 机关 and 12 事业单位 are registered by 机构编制; 91 is an enterprise registered by 市场监管.
PUBLIC_BODY_PREFIXES = {"11": PublicBody.ORGAN, "12": PublicBody.INSTITUTION}
ENTERPRISE_PREFIX = "91"


def _public_body_q() -> models.Q:
    by_code = models.Q()
    for prefix in PUBLIC_BODY_PREFIXES:
        by_code |= models.Q(uscc__startswith=prefix)
    return models.Q(kind=SubjectKind.LEGAL) & (~models.Q(public_body="") | by_code)


class SubjectQuerySet(models.QuerySet):
    def operating(self):
        return self.filter(status=OperatingStatus.OPERATING)

    def market_subjects(self):
        """Enterprises and other organisations, and 个体工商户 (the denominator of 核查率 and the serious-dishonesty
        share): not natural persons, and not 机关/事业单位 (``public_bodies``), which are no market subjects."""
        return self.filter(kind__in=[SubjectKind.LEGAL, SubjectKind.INDIVIDUAL_BUSINESS]).exclude(_public_body_q())

    def public_bodies(self):
        """机关 and 事业单位: flagged by staff, or recognisable by their USCC (a subject created by intake
        before anyone flagged it still counts)."""
        return self.filter(_public_body_q())

    def enterprises(self):
        """企业 (seed 001's 在营企业 / 企业总数 denominators): legal persons registered as enterprises — USCC
        9 1…, or no USCC but an old 工商注册号 — and not flagged as 机关/事业单位. Individual businesses,
        social organisations, cooperatives and public bodies are not enterprises."""
        registered = models.Q(uscc__startswith=ENTERPRISE_PREFIX) | models.Q(uscc="", registration_number__gt="")
        return self.filter(kind=SubjectKind.LEGAL, public_body="").filter(registered)


class Subject(models.Model):
    """A credit subject: an organisation, an individual business or a natural person.

    A natural person's ID number is never stored in clear: ``id_number_hash``
    (keyed HMAC) finds the person by number, ``id_number_masked`` is what
    pages show, and ``id_number_encrypted`` lets entitled staff reveal it (each
    reveal is logged, see apps.audit).
    """

    kind = models.CharField("主体类别", max_length=30, choices=SubjectKind.choices)
    name = models.CharField("名称", max_length=200)
    # Longer than the 18 a valid code has, so that bulk intake can keep a
    # mistyped code with an extra character and flag it as 错码 instead of
    # losing the record (see services.subject_prepare, strict=False).
    # Indexes (db_index: a btree and its varchar_pattern_ops twin): uscc = / IN — the intake's subject
    # link (Ingest._link_subjects, the staged path's staged_subjects) and credit checks by code, where
    # EXPLAIN shows the pattern-ops twin answering equality too; uscc LIKE 'prefix%' — subject_search and
    # the portal's _code_q for a code shorter than 18 (Index Scan using subjects_subject_uscc_…_like);
    # the plain btree is kept for duplicate_codes() (GROUP BY uscc: an index-only scan at a million
    # subjects, selectors.duplicate_codes).
    uscc = models.CharField("统一社会信用代码", max_length=30, blank=True, db_index=True)
    code_valid = models.BooleanField("代码校验通过", default=True, help_text="统一社会信用代码未通过校验时为否（错码）")
    code_warnings = models.JSONField("代码疑点", default=list, blank=True)
    registration_number = models.CharField("工商注册号", max_length=30, blank=True)
    organization_code = models.CharField("组织机构代码", max_length=10, blank=True)
    tax_number = models.CharField("税务登记号", max_length=20, blank=True)
    institution_number = models.CharField("事业单位证书号", max_length=30, blank=True)
    social_org_number = models.CharField("社会组织登记证号", max_length=30, blank=True)
    legal_representative = models.CharField("法定代表人/负责人/经营者", max_length=50, blank=True)
    region_code = models.CharField("登记地行政区划", max_length=6, blank=True)
    public_body = models.CharField(
        "机关/事业单位",
        max_length=12,
        choices=PublicBody.choices,
        blank=True,
        default="",
        db_default="",  # rows written by SQL (imports, benchmarks) that do not name the column are not public bodies
        help_text="政府机关或事业单位（考核“机构失信被执行情况”）；统一社会信用代码以 11、12 开头的自动视为机关、事业单位",
    )
    status = models.CharField(
        "经营状态", max_length=20, choices=OperatingStatus.choices, default=OperatingStatus.OPERATING
    )
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_number_masked = models.CharField("身份证号码（脱敏）", max_length=18, blank=True, editable=False)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = SubjectQuerySet.as_manager()

    class Meta:
        verbose_name = "信用主体"
        verbose_name_plural = "信用主体"
        ordering = ["name"]
        indexes = [
            # 错码 are few; a partial index lists and counts them without scanning every subject:
            # selectors.erroneous_subjects / code_quality_summary (WHERE NOT code_valid) — Bitmap Index Scan
            # on subject_erroneous_code_idx.
            models.Index(fields=["uscc"], condition=models.Q(code_valid=False), name="subject_erroneous_code_idx"),
            # The staff subject list's order (Meta.ordering, ORDER BY name LIMIT 25): Index Scan using
            # subject_name_idx instead of sorting every subject. (The public name search uses the bigram
            # side table of portal migration 0003, not this.)
            models.Index(fields=["name"], name="subject_name_idx"),
            # Codes are looked up by equality and most subjects have none of a given kind: indexing only
            # the filled ones keeps thousands of '' entries out of each index (an import inserts subjects
            # by the ten thousand, and every duplicate-heavy index costs more than the row).
            # Legacy codes = %s: subject_search / the portal's _code_q / _legacy_code_q (Index Scan using
            # subject_regno_idx …); id_number_hash = %s: the intake's link of a person (Index Scan using
            # subject_idhash_idx).
            *(
                models.Index(fields=[name], condition=models.Q(**{f"{name}__gt": ""}), name=f"subject_{short}_idx")
                for name, short in (
                    ("registration_number", "regno"),
                    ("organization_code", "orgcode"),
                    ("tax_number", "taxno"),
                    ("institution_number", "instno"),
                    ("social_org_number", "socorgno"),
                    ("id_number_hash", "idhash"),
                )
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def public_code(self):
        """The identifier safe to show anywhere: USCC for organisations, masked ID for persons."""
        return self.uscc or self.id_number_masked

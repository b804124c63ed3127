from django.db import models


class Family(models.TextChoices):
    DOUBLE_PUBLICITY = "double_publicity", "双公示"
    ADMINISTRATIVE = "administrative", "其他行政行为"
    SPECIFIC = "specific", "特定信用信息"
    SELF_DECLARED = "self_declared", "自愿注册信息"
    LIST = "list", "红黑名单"


class FieldType(models.TextChoices):
    TEXT = "text", "文本"
    DATE = "date", "日期"
    OPEN_DATE = "open_date", "日期（可填长期）"
    DECIMAL = "decimal", "金额（万元）"
    ENUM = "enum", "单选"
    MULTI_ENUM = "multi_enum", "多选"
    USCC = "uscc", "统一社会信用代码"
    ID_NUMBER = "id_number", "证件号码"


class Role(models.TextChoices):
    """What a field means to the platform beyond its own value.

    The pipeline promotes fields with a role onto record columns (subject
    linking, deadlines, duplicates, publicity); everything else stays in the
    record's data. A new record type reuses these roles, so it needs no code.
    """

    NONE = "", "—"
    SUBJECT_NAME = "subject_name", "行政相对人名称"
    SUBJECT_KIND = "subject_kind", "行政相对人类别"
    SUBJECT_USCC = "subject_uscc", "统一社会信用代码"
    LEGACY_CODE = "legacy_code", "其他主体代码"
    LEGAL_REP = "legal_rep", "法定代表人"
    LEGAL_REP_ID_TYPE = "legal_rep_id_type", "法定代表人证件类型"
    LEGAL_REP_ID = "legal_rep_id", "法定代表人证件号码"
    PERSON_ID_TYPE = "person_id_type", "证件类型"
    PERSON_ID = "person_id", "证件号码"
    DECISION_NUMBER = "decision_number", "决定文书号"
    DECISION_DATE = "decision_date", "决定日期"
    VALID_FROM = "valid_from", "有效期自"
    VALID_TO = "valid_to", "有效期至"
    PUBLICITY_END = "publicity_end", "公示截止期"
    PENALTY_KINDS = "penalty_kinds", "处罚类别"
    SEVERITY = "severity", "失信行为严重程度"
    LIST_TYPE = "list_type", "名单类型"
    FINE_AMOUNT = "fine_amount", "罚款金额"
    AUTHORITY_NAME = "authority_name", "决定机关"
    AUTHORITY_USCC = "authority_uscc", "决定机关统一社会信用代码"
    SOURCE_NAME = "source_name", "数据来源单位"
    SOURCE_USCC = "source_uscc", "数据来源单位统一社会信用代码"


class PolicyKey(models.TextChoices):
    REPORT_DEADLINE_DAYS = "report_deadline_days", "上报时限（工作日）"
    PUBLICITY_GENERAL_MIN_MONTHS = "publicity_general_min_months", "一般失信最短公示期（月）"
    PUBLICITY_GENERAL_MAX_MONTHS = "publicity_general_max_months", "一般失信最长公示期（月）"
    PUBLICITY_SERIOUS_MIN_MONTHS = "publicity_serious_min_months", "严重失信最短公示期（月）"
    PUBLICITY_SERIOUS_MAX_MONTHS = "publicity_serious_max_months", "严重失信最长公示期（月）"
    UNPUBLISHED_PENALTY_KINDS = "unpublished_penalty_kinds", "不予公示的处罚类别（仅此类别时）"
    UNPUBLISHED_FINE_MAX = "unpublished_fine_max", "不予公示的小额罚款上限（万元，空为不适用）"
    PUBLICITY_MINOR_MAX_MONTHS = "publicity_minor_max_months", "轻微失信最长公示期（月，空为不予公示）"
    SEVERITY_MINOR_PENALTY_KINDS = (
        "severity_minor_penalty_kinds",
        "未标明严重程度时按轻微失信认定的处罚类别（仅此类别时）",
    )
    SEVERITY_DEFAULT = "severity_default", "未标明严重程度时认定的失信程度（minor / general / serious）"
    PUBLICITY_MONTHS = "publicity_months", "公示期（月，非处罚类）"
    DEADLINE_WARNING_WORKDAYS = "deadline_warning_workdays", "临近报送期限提醒（工作日）"
    # Credit repair and objections (apps.repair)
    REPAIR_ALLOWED = "repair_allowed", "可申请信用修复"
    REPAIR_MIN_MONTHS = "repair_min_months", "申请修复前最短期限（月，无最短公示期的类型，自决定日起）"
    REPAIR_MATERIALS = "repair_materials", "信用修复须提交的材料"
    REPAIR_SERIOUS_MATERIALS = "repair_serious_materials", "严重失信信息修复另须提交的材料"
    REPAIR_ACCEPT_DAYS = "repair_accept_days", "信用修复受理时限（工作日）"
    REPAIR_VERIFY_DAYS = "repair_verify_days", "信用修复部门核实时限（工作日，自受理起）"
    REPAIR_DECIDE_DAYS = "repair_decide_days", "信用修复决定时限（工作日，自受理起）"
    OBJECTION_ACCEPT_DAYS = "objection_accept_days", "异议受理时限（工作日）"
    OBJECTION_VERIFY_DAYS = "objection_verify_days", "异议核实答复时限（工作日，自受理起）"
    CASE_DUE_SOON_DAYS = "case_due_soon_days", "办理临期提醒（到期前工作日数）"
    # Targets shown next to figures (apps.commitments, apps.scenarios)
    COMMITMENT_COVERAGE_TARGET = "commitment_coverage_target", "信用承诺覆盖率目标（比例，不低于）"
    XYD_REGISTRATION_TARGET = "xyd_registration_target", "信易贷注册企业占在营企业比例目标（比例，高于）"
    # The credit center's scorecard (apps.monitoring)
    SCORECARD_PERIOD_MONTHS = "scorecard_period_months", "考核创建期（月，截至评估日所在月的连续自然月数）"

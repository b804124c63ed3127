"""The audit log as a person reads it: Chinese labels, local times, 是/否 instead of True/False."""

from dataclasses import dataclass

from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist

ACTIONS = {
    LogEntry.Action.CREATE: "新增",
    LogEntry.Action.UPDATE: "修改",
    LogEntry.Action.DELETE: "删除",
    LogEntry.Action.ACCESS: "查看",
}
_M2M = {"add": "增加", "delete": "移除"}
# Fields declared without a Chinese verbose_name show Django's English fallback ("created at"); the
# ones on audited models, in words.
_FIELD_WORDS = {
    "ID": "编号",
    "application": "修复申请",
    "bank": "银行",
    "batch": "导入批次",
    "commitment": "信用承诺",
    "created at": "创建时间",
    "created by": "创建人",
    "deadline calendar": "期限日历",
    "declared at": "声明时间",
    "declared by": "声明人",
    "department": "部门",
    "departments": "部门",
    "drawn by": "抽取人",
    "entered by": "录入人",
    "entry": "名单条目",
    "entry calendar": "录入日历",
    "extension": "文件类型",
    "file": "文件",
    "granted at": "授权时间",
    "granted by": "授权人",
    "measures": "奖惩措施",
    "need": "融资需求",
    "objection": "异议申请",
    "policy": "抽查政策",
    "private data": "非公开字段数据",
    "recognisable_list_types": "可认定名单类型",
    "record": "信用信息",
    "record type": "信息类别",
    "recorded by": "记录人",
    "requester": "申请人",
    "revoked at": "撤销时间",
    "scenarios": "应用场景",
    "sha256": "文件摘要",
    "signed by": "签署人",
    "subject": "信用主体",
    "supervising department": "监管部门",
    "template": "承诺书模板",
    "updated at": "更新时间",
    "updated by": "更新人",
    "upload": "上传批次",
    "uploaded by": "上传人",
}
# How Python's str() of a stored value reads on screen.
_WORDS = {"True": "是", "False": "否", "None": "（空）", "": "（空）"}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _word(value) -> str:
    text = str(value)
    return _WORDS.get(text, text)


def entry_changes(entry: LogEntry) -> list[Change]:
    """Field labels (verbose names), choice labels and local times from django-auditlog's display form.

    auditlog leaves booleans and empty values as Python's ``True``/``None``, and
    falls back to the raw field name when the model is gone; those are put in words here.
    Many-to-many changes ("type"/"operation"/"objects" in auditlog's record) read as 增加/移除 and
    the objects; structured (JSON) values, whose keys are code names, are not spelled out.
    """
    model = entry.content_type.model_class()
    if model is None:
        return [Change(_label(name), *_pair(values)) for name, values in entry.changes_dict.items()]
    display = {str(label): values for label, values in entry.changes_display_dict.items()}
    changes = []
    for name, values in entry.changes_dict.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        # A creation also lists the model's reverse relations ("claims": "accounts.SubjectClaim.None"):
        # nothing a person changed, and only their code name to show.
        if field is not None and field.auto_created and not field.concrete:
            continue
        verbose = str(getattr(field, "verbose_name", name))
        label = _label(verbose)
        if isinstance(values, dict) and values.get("type") == "m2m":
            verb = _M2M.get(values.get("operation"), "变更")
            changes.append(Change(label, "—", f"{verb}：{'、'.join(map(str, values.get('objects') or [])) or '—'}"))
        elif field is not None and field.get_internal_type() == "JSONField":
            changes.append(Change(label, *(_structured(v) for v in _pair(values, words=False))))
        else:
            changes.append(Change(label, *_pair(display.get(verbose, values))))
    return changes


def _pair(values, *, words=True) -> tuple[str, str]:
    values = list(values) + ["", ""]
    return (_word(values[0]), _word(values[1])) if words else (values[0], values[1])


def _structured(value) -> str:
    return _word(value) if str(value) in ("None", "", "{}", "[]") else "（结构化数据）"


def _label(verbose: str) -> str:
    return _FIELD_WORDS.get(verbose, verbose)


def action_label(entry: LogEntry) -> str:
    return ACTIONS.get(entry.action, "其他")

"""The audit log as a person reads it: Chinese labels, local times, 是/否 instead of True/False."""

from dataclasses import dataclass

from auditlog.models import LogEntry

ACTIONS = {
    LogEntry.Action.CREATE: "新增",
    LogEntry.Action.UPDATE: "修改",
    LogEntry.Action.DELETE: "删除",
    LogEntry.Action.ACCESS: "查看",
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
    """
    model = entry.content_type.model_class()
    if model is None:
        pairs, reverse = entry.changes_dict.items(), set()
    else:
        pairs = entry.changes_display_dict.items()
        # A creation also lists the model's reverse relations ("claims": "accounts.SubjectClaim.None"):
        # nothing a person changed, and only their code name to show.
        reverse = {f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete}
    changes = []
    for label, values in pairs:
        if label in reverse:
            continue
        values = list(values) + ["", ""]
        changes.append(Change(str(label), _word(values[0]), _word(values[1])))
    return changes


def action_label(entry: LogEntry) -> str:
    return ACTIONS.get(entry.action, "其他")

"""A record's history as a person reads it: field labels and status names, not codes."""

from dataclasses import dataclass

from .choices import Status
from .models import Record

_EMPTY = "（空）"


@dataclass(frozen=True)
class HistoryRow:
    event: object
    changes: list[tuple[str, str, str]]  # (label, before, after)


def _text(value) -> str:
    if value in (None, "", []):
        return _EMPTY
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)


def _status(code) -> str:
    return Status(code).label if code in Status.values else _text(code)


def record_history(record: Record, spec) -> list[HistoryRow]:
    """Each event with what it changed: a correction's fields by their catalog label, a transition's statuses by name."""
    labels = {f.code: f.label for f in spec.fields}
    rows = []
    for event in record.events.all():
        before, after = event.before or {}, event.after or {}
        if event.action == "correct":
            changes = [
                (labels.get(code, code), _text(before.get(code)), _text(value))
                for code, value in after.items()
                if before.get(code) != value
            ]
        elif after.get("status"):
            changes = [("状态", _status(before["status"]) if before.get("status") else "—", _status(after["status"]))]
        else:
            changes = []
        rows.append(HistoryRow(event, changes))
    return rows

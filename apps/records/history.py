"""A record's history as a person reads it: field labels and status names, not codes."""

from dataclasses import dataclass

from .choices import Action, Status
from .models import Record, RecordEvent

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


def creation_event(record: Record, events) -> RecordEvent:
    """The record's creation as a (never saved) event, built from the record itself.

    Intake writes no "create" event per row (a record's created_at, source, upload and creator are its
    creation). The status it was created in is the ``before`` of its first transition, or else the one
    it still has.
    """
    status = record.status
    for event in events:
        before = event.before or {}
        if event.action != Action.CORRECT and before.get("status"):
            status = before["status"]
            break
    return RecordEvent(
        record=record,
        action=Action.CREATE,
        actor=record.created_by,
        actor_label=record.created_by_label,
        before=None,
        after={"status": status},
        at=record.created_at,
    )


def record_events(record: Record, events=None) -> list[RecordEvent]:
    """The record's history in order, its creation first: the stored "create" event of a record stored
    before creations stopped being events, else the one synthesised from the record (never both)."""
    events = list(record.events.all() if events is None else events)
    if any(e.action == Action.CREATE for e in events):
        return events
    return [creation_event(record, events), *events]


def record_history(record: Record, spec) -> list[HistoryRow]:
    """Each event with what it changed: a correction's fields by their catalog label, a transition's statuses by name."""
    labels = {f.code: f.label for f in spec.fields}
    rows = []
    for event in record_events(record):
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

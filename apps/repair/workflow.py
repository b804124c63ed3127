"""One case workflow for repair applications and objections (DOMAIN.md §6–7).

A case moves between states by named actions; which action may start from which state, where it leads and
which states run a working-day deadline are the tables below, not code. Every transition writes one history
row (``CaseEvent``). The actions themselves — who may act, what else changes, who is told — are the
service functions in ``services/applications.py`` and ``services/objections.py``; each one locks the case,
checks its action against its flow, moves it and starts the new step's clock.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models

from apps.catalog.choices import PolicyKey

from .choices import (
    OBJECTION_OPEN_STATES,
    REPAIR_OPEN_STATES,
    DueFlag,
    ObjectionAction,
    ObjectionState,
    RepairAction,
    RepairState,
)
from .models import ObjectionEvent, RepairEvent
from .policy import step_due


def actor_label(actor) -> str:
    """How the history names who acted: the user, a system's name, or 系统."""
    return str(actor) if getattr(actor, "pk", None) else (str(actor or "") or "系统")


@dataclass(frozen=True)
class CaseFlow:
    noun: str  # how messages name the case: 申请 / 异议
    event_model: type[models.Model]
    case_field: str  # the history row's foreign key to its case
    # action → (states it may start from, state it leads to; None when the action decides, as 补充材料 does)
    transitions: Mapping[str, tuple[tuple[str, ...], str | None]]
    # state → the policy key of its working-day deadline (the steps with staff)
    step_keys: Mapping[str, str]

    def lock(self, case):
        return type(case).objects.select_for_update().select_related("record__record_type").get(pk=case.pk)

    def require(self, case, *states) -> None:
        if case.state not in states:
            raise ValidationError(f"{self.noun}当前状态为“{case.get_state_display()}”，不能执行此操作。")

    def check(self, case, action: str) -> None:
        """The case is in a state ``action`` may start from (a ValidationError naming its state if not)."""
        self.require(case, *self.transitions[action][0])

    def move(self, case, action: str, *, actor, reason: str = "", to: str | None = None) -> None:
        """Take ``action``: checked against the table, written to the history, the case's state changed (not saved)."""
        self.check(case, action)
        self.write(case, action, to=to or self.transitions[action][1], actor=actor, reason=reason)

    def write(
        self, case, action: str, *, to: str, actor, reason: str = "", label: str | None = None, opening: bool = False
    ) -> None:
        """The history row of a transition; ``opening``: the first one, from no state, when the case is filed."""
        self.event_model.objects.create(
            **{self.case_field: case},
            action=action,
            from_state="" if opening else case.state,
            to_state=to,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=label if label is not None else actor_label(actor),
            reason=reason,
        )
        case.state = to

    def start_step(self, case, *, today, start=None) -> None:
        """Enter the current state's step: its deadline (policy, working days from ``start`` or today), flags cleared."""
        case.step_started_on = today
        case.due_flag, case.escalated_at = DueFlag.NONE, None
        key = self.step_keys.get(case.state)
        if key is None:
            case.due_on, case.due_calendar = None, ""
            return
        due = step_due(key, record_type=case.record.record_type, start=start or today)
        case.due_on, case.due_calendar = due.deadline, due.calendar


REPAIR_FLOW = CaseFlow(
    noun="申请",
    event_model=RepairEvent,
    case_field="application",
    transitions={
        RepairAction.ACCEPT: ((RepairState.SUBMITTED,), RepairState.DEPARTMENT_REVIEW),
        RepairAction.REFUSE: ((RepairState.SUBMITTED,), RepairState.REFUSED),
        RepairAction.VERIFY: ((RepairState.DEPARTMENT_REVIEW,), RepairState.CENTER_REVIEW),
        RepairAction.REQUEST_SUPPLEMENT: (
            (RepairState.SUBMITTED, RepairState.DEPARTMENT_REVIEW, RepairState.CENTER_REVIEW),
            RepairState.SUPPLEMENT,
        ),
        RepairAction.SUPPLEMENT: ((RepairState.SUPPLEMENT,), None),  # back to the step that asked
        RepairAction.APPROVE: ((RepairState.CENTER_REVIEW,), RepairState.APPROVED),
        RepairAction.REJECT: ((RepairState.CENTER_REVIEW,), RepairState.REJECTED),
        RepairAction.WITHDRAW: (REPAIR_OPEN_STATES, RepairState.WITHDRAWN),
    },
    step_keys={
        RepairState.SUBMITTED: PolicyKey.REPAIR_ACCEPT_DAYS,
        RepairState.DEPARTMENT_REVIEW: PolicyKey.REPAIR_VERIFY_DAYS,
        RepairState.CENTER_REVIEW: PolicyKey.REPAIR_DECIDE_DAYS,
    },
)

OBJECTION_FLOW = CaseFlow(
    noun="异议",
    event_model=ObjectionEvent,
    case_field="objection",
    transitions={
        ObjectionAction.ACCEPT: ((ObjectionState.SUBMITTED,), ObjectionState.VERIFYING),
        ObjectionAction.REFUSE: ((ObjectionState.SUBMITTED,), ObjectionState.REFUSED),
        ObjectionAction.CORRECT: ((ObjectionState.VERIFYING,), ObjectionState.CLOSED),
        ObjectionAction.REVOKE: ((ObjectionState.VERIFYING,), ObjectionState.CLOSED),
        ObjectionAction.UPHOLD: ((ObjectionState.VERIFYING,), ObjectionState.CLOSED),
        ObjectionAction.WITHDRAW: (OBJECTION_OPEN_STATES, ObjectionState.WITHDRAWN),
    },
    step_keys={
        ObjectionState.SUBMITTED: PolicyKey.OBJECTION_ACCEPT_DAYS,
        ObjectionState.VERIFYING: PolicyKey.OBJECTION_VERIFY_DAYS,
    },
)

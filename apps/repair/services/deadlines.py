"""Deadlines of repair and objection cases: due-soon and overdue flags, escalation to the credit center."""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.notifications.services import center_staff, department_reviewers, notification_send
from apps.workdays.services import workdays_add

from ..choices import OBJECTION_OPEN_STATES, REPAIR_STAFF_STATES, DueFlag, ObjectionState, RepairState
from ..models import Objection, ObjectionEvent, RepairApplication, RepairEvent
from ..policy import due_soon_days
from .applications import application_url
from .objections import objection_url


def cases_flag_due(*, today: datetime.date | None = None) -> dict:
    """Flag open staff steps as 临期 / 超期 (set-based), and escalate newly overdue cases to the credit center.

    Idempotent: a second run on the same day escalates nothing new.
    """
    today = today or timezone.localdate()
    soon_until = workdays_add(start=today, days=due_soon_days(on=today)).deadline
    summary = {"due_soon": 0, "overdue": 0, "escalated": 0}
    escalated = []
    with transaction.atomic():
        for model, states, event_model, link, fk in (
            (RepairApplication, REPAIR_STAFF_STATES, RepairEvent, application_url, "application"),
            (Objection, OBJECTION_OPEN_STATES, ObjectionEvent, objection_url, "objection"),
        ):
            open_ = model.objects.filter(state__in=states, due_on__isnull=False)
            overdue = open_.filter(due_on__lt=today)
            soon = open_.filter(due_on__gte=today, due_on__lte=soon_until)
            overdue.exclude(due_flag=DueFlag.OVERDUE).update(due_flag=DueFlag.OVERDUE)
            soon.exclude(due_flag=DueFlag.DUE_SOON).update(due_flag=DueFlag.DUE_SOON)
            open_.filter(due_on__gt=soon_until).exclude(due_flag=DueFlag.NONE).update(due_flag=DueFlag.NONE)
            summary["due_soon"] += soon.count()
            summary["overdue"] += overdue.count()
            new = list(overdue.filter(escalated_at__isnull=True).select_related("department", "record"))
            if new:
                now = timezone.now()
                model.objects.filter(pk__in=[c.pk for c in new]).update(escalated_at=now)
                event_model.objects.bulk_create(
                    [
                        event_model(
                            **{fk: case},
                            action="escalate",
                            from_state=case.state,
                            to_state=case.state,
                            actor_label="系统（超期督办）",
                            reason=f"本环节办理期限 {case.due_on:%Y-%m-%d} 已过，已提请信用中心督办。",
                        )
                        for case in new
                    ]
                )
                for case in new:
                    escalated.append((case, link(case)))
        summary["escalated"] = len(escalated)
        if escalated:
            lines = "\n".join(
                f"{case.number} {case.record.subject_name}（{case.get_state_display()}，{case.department.name}，"
                f"期限 {case.due_on:%Y-%m-%d}）"
                for case, _ in escalated
            )
            notification_send(
                users=center_staff(),
                title=f"超期督办：{len(escalated)} 件信用修复/异议案件已超过办理期限",
                body=lines,
                url=reverse("repair:list") + "?flag=overdue",
            )
            by_department = {}
            for case, url in escalated:
                if case.state in (RepairState.DEPARTMENT_REVIEW, ObjectionState.VERIFYING):
                    by_department.setdefault(case.department, []).append((case, url))
            for department, cases in by_department.items():
                notification_send(
                    users=department_reviewers(department),
                    title=f"{len(cases)} 件核实案件已超期，请尽快办理",
                    body="、".join(case.number for case, _ in cases),
                    url=cases[0][1],
                )
    return summary

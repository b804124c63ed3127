from celery import shared_task

from .services import cases_flag_due


@shared_task
def flag_due_cases():
    """Beat: flag 临期 / 超期 repair and objection cases and escalate overdue ones to the credit center."""
    return cases_flag_due()

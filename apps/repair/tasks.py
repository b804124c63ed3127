from celery import shared_task

from .services import cases_flag_due, notice_batch_build


@shared_task
def flag_due_cases():
    """Beat: flag 临期 / 超期 repair and objection cases and escalate overdue ones to the credit center."""
    return cases_flag_due()


@shared_task
def build_notice_batch(batch_id: int):
    """Bulk 告知书: render the zip of a NoticeBatch, recording its progress."""
    return notice_batch_build(batch_id=batch_id).state

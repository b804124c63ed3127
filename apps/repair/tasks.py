"""Celery entry points of the repair app, and the one place that puts its work on the queue."""

from celery import shared_task
from django.db import transaction

from .services.deadlines import cases_flag_due
from .services.notices import notice_batch_build


@shared_task
def flag_due_cases():
    """Beat: flag 临期 / 超期 repair and objection cases and escalate overdue ones to the credit center."""
    return cases_flag_due()


@shared_task
def build_notice_batch(batch_id: int):
    """Bulk 告知书: render the zip of a NoticeBatch, recording its progress."""
    return notice_batch_build(batch_id=batch_id).state


def notice_batch_queue(batch) -> None:
    """Build ``batch`` in the worker once it is committed. Up to REPAIR_NOTICE_BULK_MAX PDFs (~18 ms each):
    the bulk queue, out of the way of short tasks."""
    transaction.on_commit(lambda: build_notice_batch.apply_async(args=[batch.pk], queue="bulk"))

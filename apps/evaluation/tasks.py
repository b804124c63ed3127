"""Scheduled evaluation (see CELERY_BEAT_SCHEDULE). Thin wrapper around the service."""

import logging

from celery import shared_task

from .services import evaluation_run

logger = logging.getLogger(__name__)


@shared_task
def nightly_evaluation() -> dict:
    """Grade every subject by the model in force; history rows only where a grade changed."""
    run = evaluation_run()
    logger.info("信用评价：%s 个主体，%s 个等级变化", run.subjects, run.changed)
    return {"run": run.pk, "subjects": run.subjects, "changed": run.changed}

from celery import shared_task

from .choices import OutboxStatus
from .models import OutboxBatch
from .push import backoff_seconds, outbox_batch_send


@shared_task(bind=True, max_retries=None)
def outbox_batch_push(self, batch_pk: int):
    """Push one outbox batch; on failure retry after 1, 2, 4 … × EXCHANGE_PUSH_BACKOFF_SECONDS.

    The number of attempts is kept on the batch (not Celery's retry counter), so a worker restart or a
    re-send from the page continues the same count; ``outbox_batch_send`` stops at the configured maximum.
    """
    batch = OutboxBatch.objects.filter(pk=batch_pk).first()
    if batch is None:
        return "missing"
    status = outbox_batch_send(batch=batch)
    if status == OutboxStatus.RETRYING:
        retry = self.retry(countdown=backoff_seconds(batch.attempts), throw=False)  # queued on a worker
        if self.request.is_eager:
            # Eager (the embedded default, and tests): with CELERY_TASK_EAGER_PROPAGATES a raised Retry would
            # reach the web request; returned, ``Task.apply`` runs the retry at once (no worker to wait).
            return retry
        raise retry
    return status

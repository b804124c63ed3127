"""One worker at a time per upload: a PostgreSQL session advisory lock held for the whole import.

Two deliveries of one upload's task can meet in two worker processes: the sweeper queued it again while the
first worker was still busy, or the broker handed the message out again. The upload's status alone cannot
tell "a worker is importing this right now" from "the worker importing it died" — both read 处理中. The
lock can: it belongs to the worker's database session, so PostgreSQL releases it the moment that session
ends (the task returned, the process was killed, the machine lost power). So

- ``upload_claim`` takes it without waiting: the second delivery, finding it held, leaves the upload to the
  live worker (its own message is acknowledged; if the live worker dies after all, its message is handed out
  again and the sweeper is still there);
- holding it, a 处理中 upload is one whose previous worker is gone: it is started over (``upload_process``);
- ``uploads_claimed`` lets the sweeper skip uploads a live worker holds (see ``uploads_sweep``).

Session locks need the worker's own session for the whole task: connect the workers to PostgreSQL directly
or through a session-mode pooler, never a transaction-mode one. SQLite (the embedded default) runs one
process with tasks inline, so there is nothing to race and the claim always succeeds.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# First key of the two-key advisory lock ("UPLD"), the upload's id the second. intake_lock's two-key locks
# are (department id, record type id): a department id never reaches this number. Upload ids must fit the
# second key's int4 (two thousand million uploads).
UPLOAD_LOCK_SPACE = 0x55504C44


@contextmanager
def upload_claim(upload_id: int) -> Iterator[bool]:
    """Yield whether this process now holds ``upload_id`` (released on leaving, or when the session ends)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [UPLOAD_LOCK_SPACE, upload_id])
        claimed = cursor.fetchone()[0]
    try:
        yield claimed
    finally:
        if claimed:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [UPLOAD_LOCK_SPACE, upload_id])
            except DatabaseError:
                # The session is gone (database restarted, connection cut): the lock went with it.
                logger.warning("上传批次 %s 的处理锁释放失败（数据库会话已断开，锁已随之释放）", upload_id)


def uploads_claimed(upload_ids: Iterable[int]) -> set[int]:
    """The uploads among ``upload_ids`` a live worker holds right now (any database session)."""
    ids = list(upload_ids)
    if connection.vendor != "postgresql" or not ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
            " AND classid = %s::oid AND objid = ANY(%s::oid[]) AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            [UPLOAD_LOCK_SPACE, ids],
        )
        return {row[0] for row in cursor.fetchall()}

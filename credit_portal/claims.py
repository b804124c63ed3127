"""One worker at a time per piece of queued work: a PostgreSQL session advisory lock held for the whole task.

Two deliveries of one task can meet in two worker processes: a re-send (the upload sweeper, a clerk's retry)
while the first worker is still busy, or a message the broker handed out again. A status column alone cannot
tell "a worker is on this right now" from "the worker on it died" — both read 处理中. The lock can: it belongs
to the worker's database session, so PostgreSQL drops it the moment that session ends (the task returned,
the process was killed, the machine lost power).

``session_claim`` takes it without waiting; whoever finds it held leaves the work to the live holder (its own
message is acknowledged; if the holder dies after all, the holder's message is handed out again). Keys are
two int4: a *space* naming the kind of work, then the row's id (two thousand million rows per kind).
``services.intake_lock``'s two-key locks are (department id, record type id): keep spaces far above any
department id.

Session locks need the worker's own session for the whole task: connect workers to PostgreSQL directly or
through a session-mode pooler, never a transaction-mode one. SQLite (the embedded default) runs one process
with tasks inline, so there is nothing to race and a claim always succeeds.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


@contextmanager
def session_claim(space: int, key: int) -> Iterator[bool]:
    """Yield whether this process now holds (space, key); released on leaving, or when the session ends."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [space, key])
        claimed = cursor.fetchone()[0]
    try:
        yield claimed
    finally:
        if claimed:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [space, key])
            except DatabaseError:
                # The session is gone (database restarted, connection cut): the lock went with it.
                logger.warning("处理锁 (%s, %s) 释放失败：数据库会话已断开，锁已随之释放", space, key)


def claims_held(space: int, keys: Iterable[int]) -> set[int]:
    """The keys among ``keys`` some live session of this database holds in ``space`` right now."""
    ids = list(keys)
    if connection.vendor != "postgresql" or not ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
            " AND classid = %s::oid AND objid = ANY(%s::oid[]) AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            [space, ids],
        )
        return {row[0] for row in cursor.fetchall()}

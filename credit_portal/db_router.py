"""Public reads on a streaming read replica (``DATABASE_REPLICA_URL``, optional).

What goes where:

- An *anonymous* GET or HEAD of a public view — one marked ``public_query`` (credit_portal/public_queries.py)
  or ``replica_read`` (the profile, articles, report verification) — reads from the ``replica`` alias.
  ``ReplicaReadMiddleware`` decides once per request and puts the choice in a context variable that
  ``PublicReadRouter`` reads. Signed-in users, API-key callers, every other method and view, Celery tasks
  and management commands read from the primary (the variable is unset there).
- Every write goes to the primary. A write during a public read sends the rest of that request to the
  primary too (it reads its own write), and so does any read inside a transaction on the primary.
  Sessions are always read from the primary: a session written a moment ago may not be on the replica.

What must be seen at once (a repair approval or a revocation hiding a record, a list removal, a report
verified right after it was issued) is kept by a *fence*: after a transaction that wrote to a model the
public may see commits, the primary's WAL insert position (``pg_current_wal_insert_lsn()``) is stored in
Redis as the fence, only ever raised (``_RAISE_FENCE``). The replica serves a request only when it has
replayed up to the fence (``pg_last_wal_replay_lsn()``), else the request reads from the primary. The
replayed position only grows, so a process keeps the highest one it saw and asks the replica again only
when the fence has passed it: one Redis round trip per public request, plus one small query on the replica
after a write. A missing fence (Redis restarted) is taken from the primary; Redis out of reach means
the primary.

Writes that raise the fence are every ORM write (save, delete, update, bulk_create, bulk_update) except to
the apps in ``UNFENCED_APPS``, which no public page shows. Raw SQL does not raise it: the staged import's
``INSERT … SELECT`` adds new records, which need not be public the same millisecond. A write outside a
transaction raises the fence when its request or Celery task ends (``flush_pending_fence``; the router is
asked before the statement runs, so the position read then would be too early).

The replica unreachable: a public request connects to it (or health-checks its kept connection) before
the view runs, and the first that fails sets a "replica down" flag in Redis (and in the process) for
``DB_REPLICA_RETRY_SECONDS``, during which every request reads from the primary without trying; the
connection attempt itself is bounded by ``DB_REPLICA_CONNECT_TIMEOUT``. A public view whose replica query
fails mid-request (the replica stopped just then, a query cancelled by recovery) is answered again from
the primary — it is a GET and reads only.

Without ``DATABASE_REPLICA_URL`` none of this runs: the router is not installed and the middleware removes
itself.
"""

import atexit
import contextvars
import logging
import threading
import time

import redis
from celery.signals import task_postrun
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.urls import Resolver404, resolve

from .public_queries import is_public_query

logger = logging.getLogger(__name__)

REPLICA = "replica"
READ_METHODS = frozenset({"GET", "HEAD"})
# Read from the primary only: a session written by the previous request may not be on the replica yet.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes"})
# Writes that change nothing the public sees: no fence (a login's session and lockout rows, audit trail,
# in-app notifications).
UNFENCED_APPS = frozenset({"sessions", "axes", "admin", "auditlog", "audit", "notifications", "contenttypes"})
FENCE_KEY = "credit:replica:fence"
DOWN_KEY = "credit:replica:down"
# Raise the fence, never lower it: two writers finishing out of order must leave the higher position.
_RAISE_FENCE = """
local current = redis.call('GET', KEYS[1])
if not current or tonumber(ARGV[1]) > tonumber(current) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return redis.call('GET', KEYS[1])
"""

_read_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar("credit_read_alias", default=None)
_fence_pending: contextvars.ContextVar[bool] = contextvars.ContextVar("credit_fence_pending", default=False)


class _ProcessState:
    """What this process knows of the replica: the highest position it has replayed, and until when it is down."""

    def __init__(self):
        self.replayed = -1
        self.down_until = 0.0
        self.client = None
        self.lock = threading.Lock()


_state = _ProcessState()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_read(view):
    """Mark a public read view that is not under the statement timeout (``public_query``) for the replica."""
    view.replica_read = True
    return view


def is_replica_read(func) -> bool:
    return is_public_query(func) or bool(
        getattr(func, "replica_read", False)
        or getattr(getattr(func, "view_class", None), "replica_read", False)
        or getattr(getattr(func, "cls", None), "replica_read", False)
    )


def _redis():
    if _state.client is None:
        with _state.lock:
            if _state.client is None:
                _state.client = redis.Redis.from_url(
                    settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1, decode_responses=True
                )
    return _state.client


# The insert position, less a page header it may point just past (24 bytes; 40 on a segment's first
# page): the replica's replayed position ends at the page boundary, and on an idle primary would never
# reach a fence a header beyond it. No record ends inside a page header, so nothing is skipped.
_PRIMARY_POSITION = """
SELECT n - CASE WHEN n % seg = 40 THEN 40 WHEN n % blk = 24 THEN 24 ELSE 0 END
FROM (
    SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0') AS n,
           current_setting('wal_block_size')::int AS blk,
           pg_size_bytes(current_setting('wal_segment_size')) AS seg
) AS position
"""


def _primary_position() -> int:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_PRIMARY_POSITION)
        return int(cursor.fetchone()[0])


def _replica_position() -> int | None:
    """How far the replica has replayed (None: it is not in recovery — a promoted server has everything)."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT CASE WHEN pg_is_in_recovery() THEN pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') END")
        value = cursor.fetchone()[0]
    return None if value is None else int(value)


def raise_fence() -> None:
    """Store the primary's WAL position as the fence the replica must reach before serving public reads."""
    _fence_pending.set(False)
    try:
        _redis().eval(_RAISE_FENCE, 1, FENCE_KEY, _primary_position())
    except (redis.RedisError, DatabaseError) as exc:
        # Readers that cannot read a fence use the primary; one that cannot be stored is logged.
        logger.warning("只读副本：写入后未能记录同步位置（%s）", type(exc).__name__)


def flush_pending_fence() -> None:
    if _fence_pending.get():
        raise_fence()


def _note_write(model) -> None:
    if model._meta.app_label in UNFENCED_APPS:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        return
    if not conn.in_atomic_block:
        # The statement has not run yet: the position is read when the request or task ends.
        _fence_pending.set(True)
        return
    # One fence per transaction: Django replaces ``run_on_commit`` at every commit and rollback, so a list
    # we registered on is this transaction's.
    if getattr(conn, "_replica_fence_hooks", None) is not conn.run_on_commit:
        transaction.on_commit(raise_fence, using=DEFAULT_DB_ALIAS)
        conn._replica_fence_hooks = conn.run_on_commit


def mark_replica_down(exc: BaseException) -> None:
    seconds = settings.DB_REPLICA_RETRY_SECONDS
    _state.down_until = time.monotonic() + seconds
    logger.warning("只读副本不可用（%s），%s 秒内公开查询改由主库提供", type(exc).__name__, seconds)
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass
    try:
        _redis().set(DOWN_KEY, "1", ex=seconds)
    except redis.RedisError:
        pass


def replica_health() -> dict:
    """The replica as /healthz/ reports it: reachable, and how far behind the primary's last commit it is.

    A replica that is down does not make the site unhealthy — public reads are then served from the
    primary — so this is information for the operator, not part of the verdict.
    """
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0), pg_is_in_recovery()"
            )
            lag, standby = cursor.fetchone()
    except (DatabaseError, InterfaceError) as exc:
        return {"state": f"unavailable: {type(exc).__name__}（公开查询由主库提供）"}
    return {"state": "ok" if standby else "error: not a standby", "lag_seconds": round(float(lag), 1)}


def _replica_unreachable() -> bool:
    conn = connections[REPLICA]
    try:
        conn.ensure_connection()
    except DatabaseError:
        return True
    return not conn.is_usable()


def choose_read_alias() -> str:
    """The replica if it is up and has replayed every write the public must see at once, else the primary."""
    if _state.down_until > time.monotonic():
        return DEFAULT_DB_ALIAS
    try:
        fence, down = _redis().mget(FENCE_KEY, DOWN_KEY)
    except redis.RedisError:
        return DEFAULT_DB_ALIAS
    if down:
        return DEFAULT_DB_ALIAS
    try:
        if fence is None:
            # Redis lost the fence (restart, flush): the primary's position now covers every earlier write.
            fence = _redis().eval(_RAISE_FENCE, 1, FENCE_KEY, _primary_position())
        fence = int(fence)
        if _state.replayed >= fence:
            # Connect (or health-check the kept connection) now, as the first query would anyway: a
            # stopped replica is found here, before the view, not as an error inside it.
            replica = connections[REPLICA]
            replica.close_if_health_check_failed()
            replica.ensure_connection()
            return REPLICA
        replayed = _replica_position()
    except (DatabaseError, InterfaceError) as exc:
        mark_replica_down(exc)
        return DEFAULT_DB_ALIAS
    except redis.RedisError:
        return DEFAULT_DB_ALIAS
    if replayed is None:
        return REPLICA
    _state.replayed = max(_state.replayed, replayed)
    return REPLICA if replayed >= fence else DEFAULT_DB_ALIAS


class PublicReadRouter:
    def db_for_read(self, model, **hints):
        alias = _read_alias.get()
        if alias is None or model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # inside a write transaction: read what it wrote
        return alias

    def db_for_write(self, model, **hints):
        if _read_alias.get() is not None:
            _read_alias.set(None)  # the rest of this request reads its own write from the primary
        _note_write(model)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's WAL


class ReplicaReadMiddleware:
    """Sends an anonymous GET/HEAD of a public view to the replica (see the module's docstring)."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def _eligible(self, request) -> bool:
        if request.method not in READ_METHODS or "authorization" in request.headers:
            return False
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
        return is_replica_read(match.func) and not request.user.is_authenticated

    def __call__(self, request):
        alias = choose_read_alias() if self._eligible(request) else DEFAULT_DB_ALIAS
        token = _read_alias.set(alias if alias != DEFAULT_DB_ALIAS else None)
        request.db_read_alias = alias
        try:
            response = self.get_response(request)
            if alias == REPLICA and self._replica_failed(request, response):
                # The replica failed under this GET: answer it again from the primary.
                _read_alias.set(None)
                request.db_read_alias = DEFAULT_DB_ALIAS
                response = self.get_response(request)
            return response
        finally:
            _read_alias.reset(token)
            flush_pending_fence()

    @staticmethod
    def _replica_failed(request, response) -> bool:
        failure = getattr(request, "replica_failed", None)
        if failure is None and response.status_code < 500:
            return False
        # A query the replica cancelled (a conflict with recovery) is retried; an unusable connection
        # also marks the replica down for every process.
        if _replica_unreachable():
            mark_replica_down(failure or OperationalError("只读副本连接不可用"))
            return True
        return failure is not None

    def process_exception(self, request, exception):
        if getattr(request, "db_read_alias", None) == REPLICA and isinstance(
            exception, OperationalError | InterfaceError
        ):
            request.replica_failed = exception
        return None


@task_postrun.connect
def _fence_after_task(**kwargs):
    flush_pending_fence()


atexit.register(flush_pending_fence)

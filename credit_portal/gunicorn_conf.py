"""gunicorn settings of the web container (docker-compose.yml: ``gunicorn -c python:credit_portal.gunicorn_conf``).

Not named ``gunicorn.conf.py`` on purpose: gunicorn would load that from the working
directory for every other run too (the fault-test harness, bench/load_bench.py).

Workers: as many sync workers as CPUs. Measured on the 2-CPU machine with PostgreSQL
beside the portal (bench/portal_bench.py --wrk, random profile pages, 10M records):
2 sync workers served ~510-550 pages/s at 3.1-3.3 ms of worker CPU per page; 3 and 4
workers spent 4.4-5.5 ms per page (more processes than CPUs: context switches, colder
caches) and served less; gthread workers (2×2, 2×4 threads, keep-alive) spent 3.5-3.7 ms
per page and had 2-3× the p99 — the GIL gives threads nothing to overlap but the
~0.4 ms a page waits on PostgreSQL. Sync workers need a buffering reverse proxy in front
(slow clients would hold a worker): the container publishes only on 127.0.0.1 for it.

Environment overrides: ``WEB_CONCURRENCY`` (workers), ``GUNICORN_THREADS`` (> 1: gthread
workers), ``GUNICORN_BIND``, ``GUNICORN_ACCESSLOG`` ("" for none), ``GUNICORN_MAX_REQUESTS``,
``GUNICORN_CONTROL_SOCKET``, ``GUNICORN_MAX_REQUESTS_JITTER``, ``GUNICORN_MAX_WORKER_MEMORY_MB``.
"""

import gc
import os
import re
import tempfile

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# Load Django once in the master and fork the workers from it: a recycled worker (max_requests)
# starts in milliseconds instead of re-importing everything (~1 s of CPU every 2,000 pages per
# worker). Nothing opens a database or Redis connection at import time; connections are per worker.
# A code change then needs a restart of the master, not a HUP.
preload_app = True
# A worker is replaced after this many requests (a leak cannot grow for ever); the jitter keeps
# the workers from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# ...and sooner when it has grown: CPython seldom hands freed memory back to the system, so a worker
# that once read a large spreadsheet would keep that size until its 2,000th request.
max_worker_memory_mb = int(os.environ.get("GUNICORN_MAX_WORKER_MEMORY_MB", "600"))
timeout = 60
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
# The access log names the client as the throttles and the audit trail do (TRUSTED_PROXY_COUNT).
logger_class = "credit_portal.gunicorn_logging.ClientAddressLogger"
# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl): a second
# instance on the host took it over from the first. Each instance gets its own, named by its bind
# address and master pid, unless GUNICORN_CONTROL_SOCKET names one.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or os.path.join(
    os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir(),
    f"gunicorn-{re.sub(r'[^0-9A-Za-z.-]+', '_', bind)}-{os.getpid()}.ctl",
)


def resident_mb() -> float | None:
    """This process's resident memory now (Linux /proc), or None where there is no /proc."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def post_request(worker, req, environ, resp):
    """Replace this worker after the request it just served if it has grown past the memory limit."""
    if not max_worker_memory_mb:
        return
    rss = resident_mb()
    if rss is not None and rss > max_worker_memory_mb:
        worker.log.info(
            "worker %s at %.0f MB (limit %s MB): replaced after this request", worker.pid, rss, max_worker_memory_mb
        )
        worker.alive = False  # finishes this request, then exits; the master starts a fresh one


def when_ready(server):
    """The master has loaded Django (preload_app): freeze what it holds before the workers fork.

    Every object loaded at start-up (modules, URL patterns, templates, settings) then sits in the
    collector's permanent generation: a worker's full collections no longer walk them (measured in
    process on the public records API at 10M records, bench/README.md: p99 135 → 66 ms at the same
    p50), and the collector no longer writes to those pages, so forked workers keep sharing them.
    """
    gc.freeze()

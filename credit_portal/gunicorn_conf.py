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
workers), ``GUNICORN_BIND``, ``GUNICORN_ACCESSLOG`` ("" for none), ``GUNICORN_MAX_REQUESTS``.
"""

import gc
import os

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
max_requests_jitter = 200
timeout = 60
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None


def when_ready(server):
    """The master has loaded Django (preload_app): freeze what it holds before the workers fork.

    Every object loaded at start-up (modules, URL patterns, templates, settings) then sits in the
    collector's permanent generation: a worker's full collections no longer walk them (measured in
    process on the public records API at 10M records, bench/README.md: p99 135 → 66 ms at the same
    p50), and the collector no longer writes to those pages, so forked workers keep sharing them.
    """
    gc.freeze()

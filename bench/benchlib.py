"""Pieces every benchmark shares: a migrated bench database and a step timer.

The scripts run as ``python bench/<name>.py``, so this directory is on sys.path.
"""

import os
import time


def setup_django(url: str, **environ: str) -> None:
    """Create the bench database if missing, set up Django against it and migrate it."""
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"  # no query log kept in memory
    os.environ.update(environ)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if "testserver" not in settings.ALLOWED_HOSTS:  # the Django test client's host
        settings.ALLOWED_HOSTS.append("testserver")
    call_command("migrate", verbosity=0)


def step(label: str):
    """``with step("…") as t:`` prints the label, then the seconds it took (``t.seconds``)."""

    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()
            print(f"  {label} …", end="", flush=True)
            return self

        def __exit__(self, *exc):
            self.seconds = time.perf_counter() - self.start
            print(f" {self.seconds:.1f} s", flush=True)

    return Timer()

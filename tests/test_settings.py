import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from credit_portal.env import env_bool, env_choice, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parent.parent


def test_env_helpers_parse_and_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 1) == 42
    assert env_list("X_LIST") == ["a", "b", "c"]
    assert env_str("X_MISSING", "d") == "d"
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "forty")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 1)
    with pytest.raises(ImproperlyConfigured, match="X_MISSING"):
        env_str("X_MISSING", required=True)
    monkeypatch.setenv("X_CHOICE", "staging")
    with pytest.raises(ImproperlyConfigured):
        env_choice("X_CHOICE", ("development", "production"), "development")


def _manage(*args, env_overrides):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k" * 20 + "ProductionSecret-9f8e7d6c5b4a3210zyxwvutsrqp",
    "PII_KEY": "pii-key-for-the-deploy-check-only",
    "AUDIT_CHAIN_KEY": "audit-chain-key-for-the-deploy-check-only",
    "ALLOWED_HOSTS": "credit.example.gov.cn",
    "PUBLIC_SITE_URL": "https://credit.example.gov.cn",
}


def test_production_mode_passes_check_deploy_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_secret_key():
    env = dict(PRODUCTION_ENV)
    del env["SECRET_KEY"]
    result = _manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_mode_refuses_to_start_without_audit_chain_key():
    """The chain's key must not silently be PII_KEY: one leaked key would then forge both."""
    env = dict(PRODUCTION_ENV)
    del env["AUDIT_CHAIN_KEY"]
    result = _manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "AUDIT_CHAIN_KEY" in result.stderr


def test_production_mode_refuses_to_start_without_its_public_address():
    """QR codes, 告知书 and e-mails print PUBLIC_SITE_URL: production must not guess it from a request."""
    env = dict(PRODUCTION_ENV)
    del env["PUBLIC_SITE_URL"]
    result = _manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "PUBLIC_SITE_URL" in result.stderr
    result = _manage("check", env_overrides=PRODUCTION_ENV | {"PUBLIC_SITE_URL": "credit.example.gov.cn"})
    assert result.returncode != 0
    assert "https://" in result.stderr


def test_one_public_address_for_every_link_that_leaves_the_site(settings):
    from credit_portal.site_url import DEVELOPMENT_URL, public_url

    settings.PUBLIC_SITE_URL = "https://xy.example.gov.cn"
    # Set: it wins over the request's host (a report issued behind a proxy still prints the public name).
    assert public_url("/reports/verify/?n=1", request_base="http://10.0.0.5:8000/") == (
        "https://xy.example.gov.cn/reports/verify/?n=1"
    )
    assert public_url("/repair/apply/") == "https://xy.example.gov.cn/repair/apply/"
    settings.PUBLIC_SITE_URL = ""
    # Unset (development, tests): the request's host, else the address bin/dev serves.
    assert public_url("/reports/verify/", request_base="http://testserver/") == "http://testserver/reports/verify/"
    assert public_url("/repair/apply/") == f"{DEVELOPMENT_URL}/repair/apply/"


def test_dotenv_example_names_the_public_address_and_not_the_old_setting():
    text = ROOT.joinpath(".env.example").read_text(encoding="utf-8")
    assert "\nPUBLIC_SITE_URL=" in text
    assert "PORTAL_BASE_URL" not in text


def test_embedded_default_runs_on_sqlite_with_eager_tasks():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE, s.LANGUAGE_CODE)",
        env_overrides={},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "django.db.backends.sqlite3",
        "True",
        "Asia/Shanghai",
        "zh-hans",
    ]


def test_gunicorn_settings_default_to_one_sync_worker_per_cpu(monkeypatch):
    import importlib
    import os

    from credit_portal import gunicorn_conf

    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_MAX_REQUESTS", "GUNICORN_ACCESSLOG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "")  # as an empty line in .env leaves it
    conf = importlib.reload(gunicorn_conf)
    assert conf.workers == (os.cpu_count() or 2) and conf.worker_class == "sync" and conf.preload_app
    assert conf.max_requests == 2000 and conf.accesslog == "-"
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    monkeypatch.setenv("GUNICORN_ACCESSLOG", "")
    conf = importlib.reload(gunicorn_conf)
    assert (conf.workers, conf.threads, conf.worker_class, conf.accesslog) == (3, 4, "gthread", None)


def test_web_and_celery_workers_are_replaced_once_they_have_grown(monkeypatch):
    """A worker that once read a large spreadsheet keeps its size (CPython seldom returns memory): replaced."""
    import importlib
    import logging
    from types import SimpleNamespace

    from django.conf import settings

    from credit_portal import gunicorn_conf
    from credit_portal.celery import app

    monkeypatch.setenv("GUNICORN_MAX_REQUESTS_JITTER", "50")
    monkeypatch.setenv("GUNICORN_MAX_WORKER_MEMORY_MB", "1")  # any Python process is above 1 MB
    conf = importlib.reload(gunicorn_conf)
    assert conf.max_requests_jitter == 50 and conf.resident_mb() > 1
    worker = SimpleNamespace(alive=True, pid=os.getpid(), log=logging.getLogger("gunicorn.error"))
    conf.post_request(worker, None, {}, None)
    assert worker.alive is False  # ends after this request; the master starts a fresh worker
    monkeypatch.setenv("GUNICORN_MAX_WORKER_MEMORY_MB", "1000000")
    conf = importlib.reload(gunicorn_conf)
    worker.alive = True
    conf.post_request(worker, None, {}, None)
    assert worker.alive is True
    monkeypatch.delenv("GUNICORN_MAX_WORKER_MEMORY_MB")
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS_JITTER")
    importlib.reload(gunicorn_conf)
    # Celery reads the limit (KB) from the settings: CELERY_WORKER_MAX_MEMORY_PER_CHILD_MB in the environment.
    assert settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD == 600 * 1024
    assert app.conf.worker_max_memory_per_child == 600 * 1024


def test_gunicorn_master_freezes_its_start_up_objects_before_forking():
    import gc

    from credit_portal import gunicorn_conf

    gc.unfreeze()
    try:
        gunicorn_conf.when_ready(server=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_embedded_default_serves_the_public_lists_and_refuses_hostile_queries(tmp_path):
    """bin/dev's SQLite portal: the public-query timeout is a no-op there, the guard and the caps still hold."""
    script = (
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from django.test import Client; c = Client();"
        "print(c.get('/publicity/').status_code, c.get('/publicity/', {'page': '99999'}).status_code,"
        " c.get('/api/v1/records/public/', {'limit': '1000000'}).status_code,"
        " c.get('/search/?q=%00').status_code, c.get('/', HTTP_X_FORWARDED_FOR='203.0.113.9').status_code)"
    )
    result = _manage("shell", "-c", script, env_overrides={"DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1].split() == ["200", "200", "200", "400", "200"]


def test_every_environment_variable_is_listed_in_env_example():
    """The settings, gunicorn's config and .env.example name the same variables (an operator reads only the last)."""
    import re

    read = set()
    for path in (ROOT / "credit_portal").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r'env_(?:str|int|bool|list|choice)\(\s*"([A-Z][A-Z0-9_]*)"', text))
        read |= set(re.findall(r'os\.environ(?:\.get)?[\[(]\s*"([A-Z][A-Z0-9_]*)"', text))
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    read -= {"XDG_RUNTIME_DIR"}  # the operating system's, read by gunicorn_conf.py for its control socket
    assert read - listed == set(), f"读取但未在 .env.example 列出：{sorted(read - listed)}"
    assert listed - read == set(), f".env.example 列出但未读取：{sorted(listed - read)}"

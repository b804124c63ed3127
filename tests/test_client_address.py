"""One setting decides the client address; a spoofed X-Forwarded-For buys nothing.

Each consumer gets the same attack: a client that sends a fresh random
``X-Forwarded-For`` on every request. With no trusted proxy (the default) all
those requests come from one address and must share one bucket, one lockout
and one logged address. With ``TRUSTED_PROXY_COUNT = 1`` only the entry the
proxy appended counts.
"""

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.throttling import AnonRateThrottle

from apps.audit.models import PersonalDataAccess
from conftest import PASSWORD
from credit_portal.client_ip import resolve_client_ip

ROOT = Path(__file__).resolve().parent.parent


def _spoofed() -> dict:
    return {"HTTP_X_FORWARDED_FOR": f"198.51.100.{random.randint(1, 254)}, 203.0.113.{random.randint(1, 254)}"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_resolution_rules():
    assert resolve_client_ip("10.0.0.2", "1.2.3.4", 0) == "10.0.0.2"
    assert resolve_client_ip("10.0.0.2", "1.2.3.4, 5.6.7.8", 1) == "5.6.7.8"
    assert resolve_client_ip("10.0.0.2", "1.2.3.4, 5.6.7.8", 2) == "1.2.3.4"
    assert resolve_client_ip("10.0.0.2", "5.6.7.8", 3) == "5.6.7.8"  # fewer hops than proxies
    assert resolve_client_ip("10.0.0.2", "1.2.3.4, not-an-ip", 1) == "10.0.0.2"
    assert resolve_client_ip("10.0.0.2", "", 1) == "10.0.0.2"
    assert resolve_client_ip(None, None, 0) == "unknown"


def test_api_throttle_ignores_a_spoofed_header(db, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "5/min"})
    client = Client()
    statuses = [
        client.get("/api/v1/workdays/deadline/", {"start": "2026-03-02", "days": "1"}, **_spoofed()).status_code
        for _ in range(12)
    ]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 7


def test_api_throttle_behind_one_trusted_proxy_counts_the_proxied_client(db, monkeypatch, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    client = Client()

    def get(forwarded):
        return client.get(
            "/api/v1/workdays/deadline/", {"start": "2026-03-02", "days": "1"}, HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    # The client forges the left part; the proxy appended 192.0.2.10 each time: one bucket.
    assert [get(f"1.1.1.{n}, 192.0.2.10") for n in range(4)] == [200, 200, 429, 429]
    assert get("192.0.2.11") == 200  # another client behind the same proxy


def test_page_rate_limit_ignores_a_spoofed_header(db, settings):
    settings.PORTAL_RATE_SEARCH = "3/m"
    client = Client()
    statuses = [client.get(reverse("portal:search"), {"q": "乳山"}, **_spoofed()).status_code for _ in range(8)]
    assert statuses[:3] == [200] * 3 and set(statuses[3:]) == {429}


def test_login_lockout_ignores_a_spoofed_header(clerk_a, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "clerk_a", "password": "wrong"}, **_spoofed())
    # The right password, from yet another "address": still locked out.
    response = client.post(reverse("accounts:login"), {"username": "clerk_a", "password": PASSWORD}, **_spoofed())
    assert response.status_code in (403, 429) and "_auth_user_id" not in client.session
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_audit_trail_and_access_log_record_the_real_address(client_for, center, county_person):
    api = client_for(center)
    response = api.post(
        "/api/v1/workdays/overrides/",
        {"date": "2027-01-05", "kind": "holiday", "note": "地址测试"},
        content_type="application/json",
        **_spoofed(),
    )
    assert response.status_code == 201
    assert LogEntry.objects.latest("timestamp").remote_addr == "127.0.0.1"
    reveal = api.post(reverse("subjects:reveal_id", args=[county_person.pk]), {"reason": "核实身份"}, **_spoofed())
    assert reveal.status_code == 200
    assert PersonalDataAccess.objects.get().remote_addr == "127.0.0.1"


@pytest.fixture
def county_person(db):
    from apps.subjects.choices import SubjectKind
    from apps.subjects.services import subject_create

    return subject_create(name="王某", kind=SubjectKind.PERSON, id_number="371083199001011235")


# --- gunicorn: the access log and the control socket ---------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(tmp_path: Path, name: str, extra_env: dict) -> tuple[subprocess.Popen, int, Path]:
    port = _free_port()
    log = tmp_path / f"{name}.access.log"
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESSLOG": str(log),
        "WEB_CONCURRENCY": "1",
        "XDG_RUNTIME_DIR": str(tmp_path),
        **extra_env,
    }
    env.pop("GUNICORN_CONTROL_SOCKET", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:credit_portal.gunicorn_conf",
            "credit_portal.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port, log
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("gunicorn did not start")


def _get(port: int, path: str, forwarded: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: {forwarded}\r\nConnection: close\r\n\r\n".encode()
        )
        while conn.recv(65536):
            pass


def test_gunicorn_instances_log_the_decided_address_and_keep_their_own_control_socket(tmp_path):
    first, first_port, first_log = _start_gunicorn(tmp_path, "a", {"TRUSTED_PROXY_COUNT": "0"})
    second, second_port, second_log = _start_gunicorn(tmp_path, "b", {"TRUSTED_PROXY_COUNT": "1"})
    try:
        _get(first_port, "/no-such-page/", "198.51.100.7")
        _get(second_port, "/no-such-page/", "198.51.100.7, 192.0.2.44")
        time.sleep(0.5)
        sockets = sorted(p.name for p in tmp_path.glob("gunicorn-*.ctl"))
        assert len(sockets) == 2 and any(str(first_port) in s for s in sockets), sockets
        assert any(str(second_port) in s for s in sockets), sockets
    finally:
        for proc in (first, second):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    first_line, second_line = first_log.read_text(), second_log.read_text()
    assert re.match(r"127\.0\.0\.1 ", first_line) and "198.51.100.7" not in first_line
    assert re.match(r"192\.0\.2\.44 ", second_line)

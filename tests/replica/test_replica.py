"""Public reads on a streaming replica, against a real primary + hot standby (tests/replica/conftest.py).

Which server answered is read from the servers' own statement logs: the part each log grew by during one
request. The replica's replay is paused (``pg_wal_replay_pause()``) to make lag as long as a test needs.
"""

import http.cookiejar
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import psycopg
import pytest

from tests.faults.harness import wait_for

from .conftest import PASSWORD, sql

pytestmark = [pytest.mark.replica]

REVOKE = """
from apps.accounts.models import User
from apps.records.models import Record
from apps.records.workflow import record_revoke
record_revoke(record=Record.objects.get(pk={pk}), actor=User.objects.get(username="center"), reason="决定已被撤销")
"""


def seeded(pair, name):
    pk, subject, number = (pair["dir"] / name).read_text().split(" ", 2)
    return int(pk), int(subject), number


class Browser:
    """A visitor with cookies (session, CSRF) talking to the portal under gunicorn."""

    def __init__(self, portal, headers=None):
        self.base = portal.base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.headers = headers or {}

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=self.headers)  # noqa: S310 — loopback
        try:
            with self.opener.open(req, timeout=15) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), exc.url

    def post_form(self, page, path, data):
        _, html, _ = self.request(page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        return self.request(path, {**data, "csrfmiddlewaretoken": token})


def served(pair, call, table='"records_record"'):
    """Run ``call`` and say which servers ran statements on ``table`` meanwhile: {"primary"}, {"replica"}…"""
    logs = {name: pair[name].dir / "pg.log" for name in ("primary", "replica")}
    sizes = {name: path.stat().st_size for name, path in logs.items()}
    result = call()
    grown = {}
    for name, path in logs.items():
        with open(path, "rb") as log:
            log.seek(sizes[name])
            grown[name] = log.read().decode(errors="replace")
    return result, {name for name, text in grown.items() if table in text}


def caught_up(pair):
    """Wait until the replica has replayed everything the primary has written so far."""
    target = sql(pair["primary"], "SELECT pg_current_wal_insert_lsn()::text")[0][0]
    wait_for(
        lambda: sql(pair["replica"], "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))[0][0],
        timeout=30,
        what="replica replay",
    )


class paused_replay:
    def __init__(self, pair):
        self.replica = pair["replica"]

    def __enter__(self):
        sql(self.replica, "SELECT pg_wal_replay_pause()")
        wait_for(lambda: sql(self.replica, "SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused")

    def __exit__(self, *exc):
        sql(self.replica, "SELECT pg_wal_replay_resume()")


def api_number(number):
    return "/api/v1/records/public/?number=" + urllib.parse.quote(number)


def test_public_reads_land_on_the_replica_writes_and_signed_in_reads_on_the_primary(pair):
    portal = pair["portal"]
    caught_up(pair)
    _, subject, number = seeded(pair, "report")
    visitor = Browser(portal)
    for path, table in [
        ("/publicity/?name=" + urllib.parse.quote("测试商贸"), '"records_record"'),
        (api_number(number), '"records_record"'),
        (f"/profile/{subject}/", '"records_record"'),
        ("/search/?q=" + urllib.parse.quote("测试商贸"), '"subjects_subject"'),
        ("/api/v1/departments/", '"accounts_department"'),
    ]:
        (status, body, _), servers = served(pair, lambda path=path: visitor.request(path), table)
        assert status == 200, (path, body[:300])
        assert servers == {"replica"}, (path, servers)
        if "records_record" in table:
            assert number in body, path

    # A visitor's write (a credit report issued) runs on the primary; a hot standby would refuse it.
    (status, body, url), servers = served(
        pair,
        lambda: visitor.post_form(
            f"/profile/{subject}/", f"/reports/issue/{subject}/", {"kind": "standard", "purpose": "bidding"}
        ),
        'INSERT INTO "reports_creditreport"',
    )
    assert status == 200 and "/reports/issued/" in url, body[:300]
    assert servers == {"primary"}

    # Signed in (staff here, a subject's account alike) the same public page reads from the primary,
    # and so does a caller that sends credentials.
    staff = Browser(portal)
    status, _, url = staff.post_form(
        "/accounts/login/", "/accounts/login/", {"username": "center", "password": PASSWORD}
    )
    assert status == 200 and "/accounts/login/" not in url
    for client in (staff, Browser(portal, headers={"Authorization": "Api-Key not-a-real-key"})):
        (status, body, _), servers = served(pair, lambda client=client: client.request(api_number(number)))
        assert status == 200 and number in body
        assert servers == {"primary"}


def test_replica_lag_never_shows_a_revoked_record(pair):
    portal = pair["portal"]
    caught_up(pair)
    control_pk, subject, control_number = seeded(pair, "control")
    revoke_pk, _, revoke_number = seeded(pair, "revoke")
    visitor = Browser(portal)
    with paused_replay(pair):
        # Control: a change made behind the platform's back (raw SQL, no fence) is not on the paused replica,
        # and the public API, answered by the replica, still shows the record — the lag is real.
        sql(pair["primary"], "UPDATE records_record SET status = 'revoked' WHERE id = %s", (control_pk,))
        (status, body, _), servers = served(pair, lambda: visitor.request(api_number(control_number)))
        assert status == 200 and servers == {"replica"}
        assert control_number in body

        # The platform's own revocation raises the fence: until the replica has it, the primary answers.
        portal.manage("shell", "-c", REVOKE.format(pk=revoke_pk))
        for path in (api_number(revoke_number), f"/profile/{subject}/"):
            (status, body, _), servers = served(pair, lambda path=path: visitor.request(path))
            assert status == 200 and servers == {"primary"}, (path, servers)
            assert revoke_number not in body, path
    # Replay resumed and caught up: the replica answers again, without the revoked records.
    caught_up(pair)
    (status, body, _), servers = served(pair, lambda: visitor.request(f"/profile/{subject}/"))
    assert status == 200 and servers == {"replica"}
    assert revoke_number not in body and control_number not in body


APPROVE = """
from apps.accounts.models import User
from apps.repair.models import RepairApplication
from apps.repair.services.applications import repair_application_approve
repair_application_approve(
    application=RepairApplication.objects.get(pk={pk}), reviewer=User.objects.get(username="center"), reason="准予修复"
)
"""


def test_replica_lag_never_shows_a_repaired_record(pair):
    portal = pair["portal"]
    caught_up(pair)
    application_pk, subject, number = seeded(pair, "repair")
    visitor = Browser(portal)
    (status, body, _), servers = served(pair, lambda: visitor.request(api_number(number)))
    assert status == 200 and servers == {"replica"} and number in body
    with paused_replay(pair):
        portal.manage("shell", "-c", APPROVE.format(pk=application_pk))
        assert sql(pair["replica"], "SELECT NOT repaired FROM records_record WHERE decision_number = %s", (number,))[0][
            0
        ]
        # The profile keeps naming the number in the published 信用修复 commitment; the record's row is gone.
        for path, shown in ((api_number(number), number), (f"/profile/{subject}/", f">{number}</a>")):
            (status, body, _), servers = served(pair, lambda path=path: visitor.request(path))
            assert status == 200 and servers == {"primary"}, (path, servers)
            assert shown not in body, path
    caught_up(pair)
    (status, body, _), servers = served(pair, lambda: visitor.request(api_number(number)))
    assert status == 200 and servers == {"replica"} and number not in body


def test_a_report_verifies_right_after_issue_while_the_replica_lags(pair):
    portal = pair["portal"]
    caught_up(pair)
    _, subject, _ = seeded(pair, "report")
    visitor = Browser(portal)
    with paused_replay(pair):
        status, _, url = visitor.post_form(
            f"/profile/{subject}/", f"/reports/issue/{subject}/", {"kind": "standard", "purpose": "financing"}
        )
        assert status == 200 and "/reports/issued/" in url
        number, code = sql(
            pair["primary"], "SELECT number, verification_code FROM reports_creditreport ORDER BY id DESC LIMIT 1"
        )[0]
        assert not sql(pair["replica"], "SELECT 1 FROM reports_creditreport WHERE number = %s", (number,))
        query = urllib.parse.urlencode({"number": number, "code": code})
        (status, body, _), servers = served(
            pair, lambda: visitor.request(f"/api/v1/reports/verify/?{query}"), '"reports_creditreport"'
        )
        assert status == 200 and json.loads(body)["verified"] is True
        assert servers == {"primary"}
        status, body, _ = visitor.request(f"/reports/verify/?{query}")
        assert status == 200 and number in body


RENAME = """
from apps.accounts.models import Department
department = Department.objects.get(code="scjgj")
department.name = "乳山市市场监督管理局"  # unchanged: a write all the same, through the ORM
department.save()
"""


def test_a_fenced_write_sends_public_reads_to_the_primary_only_until_the_replica_replayed_it(pair):
    """A fence costs the replica only the replay delay: public reads are back on it once it has the write."""
    portal = pair["portal"]
    caught_up(pair)
    visitor = Browser(portal)
    portal.manage("shell", "-c", RENAME)
    written = time.monotonic()
    on_primary = 0
    while True:
        (status, _, _), servers = served(pair, lambda: visitor.request("/api/v1/departments/"), '"accounts_department"')
        assert status == 200
        if servers == {"replica"}:
            break
        on_primary += 1
        assert time.monotonic() - written < 10, "the replica never caught up with the fence"
    back_ms = (time.monotonic() - written) * 1000
    print(
        f"\nafter a fenced write: {on_primary} public request(s) on the primary, back on the replica {back_ms:.0f} ms later"
    )


def test_a_replica_connection_lost_in_the_middle_of_a_page_is_answered_again_from_the_primary(pair):
    """The profile's query waits on the replica behind a lock the primary holds (replayed there as an
    AccessExclusiveLock); the replica backend is then terminated under it, as a crash would."""
    portal, primary, replica = pair["portal"], pair["primary"], pair["replica"]
    caught_up(pair)
    _, subject, number = seeded(pair, "report")
    visitor = Browser(portal)
    assert visitor.request(f"/profile/{subject}/")[0] == 200  # the replica's connection is open and checked
    result = {}
    with psycopg.connect(f"host=127.0.0.1 port={primary.port} user=postgres dbname=credit") as locker:
        locker.execute("LOCK TABLE subjects_subject IN ACCESS EXCLUSIVE MODE")
        sql(primary, "SELECT pg_switch_wal()")  # sends the lock's WAL record now, not at the next commit
        held = "SELECT 1 FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'subjects_subject'::regclass"
        wait_for(lambda: sql(replica, held), timeout=15, what="the lock replayed on the replica")
        page = threading.Thread(
            target=lambda: result.update(
                zip(
                    ("answer", "servers"),
                    served(pair, lambda: visitor.request(f"/profile/{subject}/"), '"subjects_subject"'),
                    strict=True,
                )
            )
        )
        page.start()
        waiting = "SELECT pid FROM pg_stat_activity WHERE datname = 'credit' AND wait_event_type = 'Lock'"
        wait_for(lambda: sql(replica, waiting), timeout=15, what="the page waiting on the replica")
        for (pid,) in sql(replica, waiting):
            sql(replica, "SELECT pg_terminate_backend(%s)", (pid,))
        wait_for(lambda: sql(primary, waiting), timeout=15, what="the page asked again on the primary")
        locker.rollback()
    page.join(timeout=15)
    status, body, _ = result["answer"]
    assert status == 200 and number in body
    assert result["servers"] == {"primary", "replica"}
    # The lost connection marked the replica down for DB_REPLICA_RETRY_SECONDS (2 s here); then it is back.
    time.sleep(2.5)
    wait_for(
        lambda: served(pair, lambda: visitor.request(api_number(number)))[1] == {"replica"},
        timeout=15,
        what="reads back on the replica",
    )


def test_replica_stopped_the_portal_answers_from_the_primary(pair):
    portal, replica = pair["portal"], pair["replica"]
    caught_up(pair)
    _, subject, number = seeded(pair, "report")
    visitor = Browser(portal)
    paths = [
        f"/profile/{subject}/",
        api_number(number),
        "/publicity/",
        "/api/v1/departments/",
        "/search/?q=%E6%B5%8B%E8%AF%95",
    ]
    log = portal.dir / "gunicorn.log"
    log_size = log.stat().st_size
    replica.stop(mode="immediate")
    try:
        timings = []
        for _ in range(3):  # every gunicorn worker meets the stopped replica at least once
            for path in paths:
                start = time.monotonic()
                (status, body, _), servers = served(pair, lambda path=path: visitor.request(path), "SELECT")
                timings.append(time.monotonic() - start)
                assert status == 200, (path, body[:300])
                assert "primary" in servers
        print(f"\nreplica down: {len(timings)} public requests, all 200, slowest {max(timings) * 1000:.0f} ms")
        assert max(timings) < 3
        # Found before the view ran (connect or health check of the kept connection): no error page
        # behind the 200s, one warning per process.
        with open(log, "rb") as handle:
            handle.seek(log_size)
            logged = handle.read().decode(errors="replace")
        assert "只读副本不可用" in logged
        assert "Internal Server Error" not in logged and "Traceback" not in logged, logged[-2000:]
        # The load balancer's check stays healthy (the primary serves) and tells the operator.
        status, body, _ = visitor.request("/healthz/")
        assert status == 200 and json.loads(body)["replica"]["state"].startswith("unavailable"), body
    finally:
        replica.start()
    # Back after DB_REPLICA_RETRY_SECONDS (2 s here): public reads return to the replica by themselves.
    caught_up(pair)
    time.sleep(2.5)
    wait_for(
        lambda: served(pair, lambda: visitor.request(api_number(number)))[1] == {"replica"},
        timeout=15,
        what="reads back on the replica",
    )
    health = json.loads(visitor.request("/healthz/")[1])
    assert health["replica"]["state"] == "ok" and health["replica"]["lag_seconds"] >= 0, health

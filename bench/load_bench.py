"""Load and soak: the portal under gunicorn on PostgreSQL, mixed traffic from loopback.

    .venv/bin/python bench/load_bench.py                          # 60 s, 8 clients, 2 workers
    .venv/bin/python bench/load_bench.py --duration 600 --soak    # soak: memory before/after matters

Starts its own PostgreSQL cluster and Redis (tests/faults/harness.py: free
ports, temp dir; the machine's shared services are never touched), migrates,
seeds departments and accounts (seed_demo), ``--records`` published 行政处罚
records and an API key, then runs gunicorn and drives for ``--duration``
seconds from ``--clients`` threads (keep-alive HTTP/1.1):

    search 25% · record page 20% · public lists 10% · home 10% ·
    credit check API 15% · record submission API 10% · code validation API 10%

Prints throughput, p50/p99 per kind and overall, the error count (anything
not 2xx, or no answer) and each gunicorn worker's RSS after warm-up and at
the end. Never a timed test.
"""

import argparse
import http.client
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.harness import Portal, PrivatePostgres, PrivateRedis, rss_kb, services_available  # noqa: E402

SEED = """
import json, pathlib
from apps.accounts.models import ApiKey, Department
from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row
from apps.records.models import Record
from django.core.management import call_command

call_command("seed_demo", "--subjects", "500")
dept = Department.objects.filter(powers__code="penalty").order_by("pk").first()
rows = [(n + 2, penalty_row(dept, n + 1, CF_JDRQ="{decided}")) for n in range({records})]
for start in range(0, len(rows), 1000):
    records_ingest(record_type="penalty", department=dept, rows=rows[start:start + 1000], actor_label="bench")
_, key = ApiKey.issue(name="压测系统", department=dept, scopes=["records:read", "records:write", "credit-check"])
published = list(Record.objects.filter(department=dept).values_list("pk", "subject_name", "subject_code")[:2000])
pathlib.Path("{out}").write_text(json.dumps({{"key": key, "dept": dept.code, "uscc": dept.uscc, "name": dept.name,
    "records": published}}, ensure_ascii=False))
"""


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                response.read()
                return response.status
            except (http.client.HTTPException, OSError):
                if self.conn:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    return 0
        return 0


def traffic(data):
    key = {"Authorization": f"Api-Key {data['key']}", "Content-Type": "application/json"}
    records = data["records"]
    counter = iter(range(10**9))
    lock = threading.Lock()

    def search(_):
        _, name, _ = random.choice(records)
        return "GET", "/publicity/?name=" + quote(name[:6]), None, {}

    def record_page(_):
        return "GET", f"/publicity/{random.choice(records)[0]}/", None, {}

    def lists(_):
        return "GET", "/lists/public/", None, {}

    def home(_):
        return "GET", "/", None, {}

    def check(_):
        code = random.choice(records)[2]
        return "POST", "/api/v1/credit-checks/", json.dumps({"code": code, "matter": "bidding"}), key

    def submit(_):
        with lock:
            n = next(counter)
        row = {
            "CF_XDR_MC": f"乳山市压测商贸有限公司{n}",
            "CF_XDR_LB": "法人及非法人组织",
            "CF_XDR_SHXYM": random.choice(records)[2],
            "CF_FRDB": "张伟",
            "CF_WSH": f"乳市监罚〔2024〕压{n}号",
            "CF_WFXW": "销售不合格产品",
            "CF_SY": "经查，当事人销售的产品经抽检不合格。",
            "CF_YJ": "《中华人民共和国产品质量法》第四十九条",
            "CF_CFLB": "罚款",
            "CF_NR": "罚款人民币5000元。",
            "CF_NR_FK": "0.5",
            "CF_JDRQ": data["decided"],
            "CF_CFJG": data["name"],
            "CF_CFJGDM": data["uscc"],
            "CF_SJLY": data["name"],
            "CF_SJLYDM": data["uscc"],
        }
        return "POST", "/api/v1/records/penalty/batch/", json.dumps({"records": [row]}, ensure_ascii=False), key

    def validate(_):
        return "GET", "/api/v1/subjects/validate-code/?code=" + random.choice(records)[2], None, {}

    mix = [(search, 25), (record_page, 20), (lists, 10), (home, 10), (check, 15), (submit, 10), (validate, 10)]
    return [f for f, w in mix for _ in range(w)]


def drive(port, kinds, seconds, clients, sample=None):
    """Run the traffic; ``sample`` (seconds, pids) records worker RSS along the way."""
    timings = defaultdict(list)
    errors = defaultdict(int)
    stop = time.monotonic() + seconds
    samples = []

    def run():
        client = Client(port)
        while time.monotonic() < stop:
            make = random.choice(kinds)
            method, path, body, headers = make(None)
            started = time.perf_counter()
            status = client.request(method, path, body.encode() if body else None, headers)
            timings[make.__name__].append(time.perf_counter() - started)
            if not 200 <= status < 300:
                errors[f"{make.__name__}:{status}"] += 1

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    if sample:
        every, pids = sample
        while time.monotonic() < stop:
            time.sleep(min(every, max(0.0, stop - time.monotonic())))
            samples.append(sum(rss_kb(pid) for pid in pids()))
    for thread in threads:
        thread.join()
    return timings, errors, samples


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--soak", action="store_true", help="fail (exit 1) on errors or worker RSS growth > 10%%")
    args = parser.parse_args()
    reason = services_available()
    if reason:
        sys.exit(f"cannot start private services: {reason}")
    random.seed(20241010)
    workdir = Path(tempfile.mkdtemp(prefix="credit-load-"))
    redis = PrivateRedis(workdir).start()
    pg = PrivatePostgres(workdir).init()
    portal = Portal(workdir, database_url=pg.url, redis_url=redis.url, workers=args.workers)
    try:
        out = portal.dir / "seed.json"
        decided = time.strftime("%Y-%m-%d", time.localtime(time.time() - 20 * 86400))
        t0 = time.monotonic()
        portal.prepare(SEED.format(out=out, records=args.records, decided=decided))
        data = json.loads(out.read_text()) | {"decided": decided}
        print(f"prepared in {time.monotonic() - t0:.0f}s: {len(data['records'])} public records, API key, accounts")
        portal.start()
        kinds = traffic(data)
        drive(portal.port, kinds, args.warmup, args.clients)
        before = {pid: rss_kb(pid) for pid in portal.worker_pids()}
        started = time.monotonic()
        timings, errors, samples = drive(
            portal.port, kinds, args.duration, args.clients, sample=(max(5, args.duration // 10), portal.worker_pids)
        )
        elapsed = time.monotonic() - started
        after = {pid: rss_kb(pid) for pid in portal.worker_pids()}
    finally:
        portal.stop()
        redis.stop()
        pg.stop(mode="immediate")
        shutil.rmtree(workdir, ignore_errors=True)
    every = [t for values in timings.values() for t in values]
    print(f"\n{args.clients} clients, {args.workers} gunicorn workers, {elapsed:.0f}s")
    print(f"{'kind':<12}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, values in sorted(timings.items()):
        print(f"{kind:<12}{len(values):>9}{pct(values, 50):>9.1f}{pct(values, 99):>9.1f}")
    print(f"{'all':<12}{len(every):>9}{pct(every, 50):>9.1f}{pct(every, 99):>9.1f}")
    print(f"throughput {len(every) / elapsed:.1f} req/s; errors {sum(errors.values())} {dict(errors) or ''}")
    growth = []
    for pid in sorted(set(before) | set(after)):
        b, a = before.get(pid), after.get(pid)
        print(f"worker {pid}: RSS {b or '-'} kB → {a or '-'} kB")
        if a and b:
            growth.append((a - b) / b)
    if set(before) != set(after):
        print("note: gunicorn replaced a worker during the run")
    print("workers' total RSS along the run (MB): " + " ".join(f"{kb / 1024:.0f}" for kb in samples))
    if growth:
        print(f"RSS growth: max {max(growth) * 100:+.1f}%, mean {statistics.mean(growth) * 100:+.1f}%")
    if args.soak and (errors or not growth or max(growth) > 0.10):
        sys.exit(1)


if __name__ == "__main__":
    main()

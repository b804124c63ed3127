"""Exchange benchmark: the period's exchange data, the 政务共享 workbook and a pushed batch, on PostgreSQL.

    .venv/bin/python bench/exchange_bench.py                       # 20,000 records (30% natural persons)
    .venv/bin/python bench/exchange_bench.py --records 50000       # the EXCHANGE_MAX_ROWS default

Creates the database if missing (default ``credit_bench_exchange``), migrates it, ingests ``--records``
行政处罚 through the platform's own pipeline (``records_ingest``, so persons get real subjects with
encrypted ID numbers), adds one decided repair and one decided objection per 20 records, then times:

* ``exchange_data`` masked and full (the full one decrypts every person's number);
* the three-sheet workbook of the full data;
* ``outbox_batch_create`` (the web request's part: counts), ``push.outbox_batch_prepare`` (the worker's:
  freeze, JSON, gzip, encrypt, log the reveals) and one push to a real local HTTP server
  (``push.outbox_batch_send``), with the body and stored sizes.

Generated data is kept and reused when its size matches (``--regenerate`` to force). It prints figures;
it is never a timed test.
"""

import argparse
import datetime
import http.server
import sys
import threading
from pathlib import Path

from benchlib import setup_django, step

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/credit_bench_exchange"
DAY = datetime.date(2024, 10, 10)
CHUNK = 2000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--regenerate", action="store_true")
    return parser.parse_args()


def person_id(i: int) -> str:
    body = f"110105{1950 + i % 50:04d}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def generate(args):
    from apps.accounts.models import Department, Power, User
    from apps.records.models import Record
    from apps.records.services import records_ingest
    from apps.records.tests.factories import penalty_row
    from apps.repair.choices import ObjectionOutcome, ObjectionState, RepairState
    from apps.repair.models import Objection, RepairApplication
    from apps.subjects.codes import build_uscc

    dept, _ = Department.objects.get_or_create(
        code="bench_exchange", defaults={"name": "乳山市市场监督管理局（交换基准）", "uscc": "11371083MB1234562X"}
    )
    dept.powers.add(Power.objects.get_or_create(code="penalty", defaults={"name": "行政处罚"})[0])
    User.objects.get_or_create(username="bench_center", defaults={"role": "center", "full_name": "基准"})
    if Record.objects.filter(department=dept).count() == args.records and not args.regenerate:
        print(f"reusing {args.records:,} records")
        return dept
    RepairApplication.objects.filter(department=dept).delete()
    Objection.objects.filter(department=dept).delete()
    Record.objects.filter(department=dept).delete()
    with step(f"ingest {args.records:,} penalties"):
        for start in range(0, args.records, CHUNK):
            rows = []
            for i in range(start, min(start + CHUNK, args.records)):
                # penalty_row's own code takes 4 digits: every row gets its own code and name here.
                overrides = {
                    "CF_WSH": f"乳交基罚〔2024〕{i}号",
                    "CF_XDR_MC": f"乳山市交换基准商贸有限公司{i}",
                    "CF_XDR_SHXYM": build_uscc("91", "371083", f"M{i:07d}"),
                }
                if i % 10 < 3:
                    overrides |= {
                        "CF_XDR_MC": f"基准自然人{i}",
                        "CF_XDR_LB": "自然人",
                        "CF_XDR_SHXYM": None,
                        "CF_FRDB": None,
                        "CF_XDR_ZJLX": "身份证",
                        "CF_XDR_ZJHM": person_id(i),
                    }
                rows.append(penalty_row(dept, i % 10000, **overrides))
            records_ingest(record_type="penalty", department=dept, rows=list(enumerate(rows, 2)), today=DAY)
    now = datetime.datetime(2024, 10, 10, 2, tzinfo=datetime.UTC)
    records = list(Record.objects.filter(department=dept).order_by("pk").only("pk")[::20])
    common = {
        "department": dept,
        "contact_name": "联系人",
        "contact_phone": "13800000000",
        "step_started_on": DAY,
        "decided_at": now,
    }
    RepairApplication.objects.bulk_create(
        RepairApplication(number=f"BXR{n:06d}", record=r, statement="已整改", state=RepairState.APPROVED, **common)
        for n, r in enumerate(records)
    )
    Objection.objects.bulk_create(
        Objection(
            number=f"BXO{n:06d}",
            record=r,
            relation="本人",
            grounds="理由",
            state=ObjectionState.CLOSED,
            outcome=ObjectionOutcome.UPHELD,
            reply="维持",
            **common,
        )
        for n, r in enumerate(records)
    )
    return dept


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def main():
    args = parse_args()
    setup_django(args.url, CELERY_TASK_ALWAYS_EAGER="0")
    import time_machine
    from django.conf import settings

    from apps.accounts.models import User
    from apps.exchange.export import exchange_xlsx
    from apps.exchange.push import outbox_batch_prepare, outbox_batch_send, payload_bytes
    from apps.exchange.selectors import exchange_data
    from apps.exchange.services import outbox_batch_create

    with time_machine.travel(datetime.datetime(2024, 10, 10, 2, tzinfo=datetime.UTC)):
        dept = generate(args)
    period = {"date_from": DAY - datetime.timedelta(days=1), "date_to": DAY + datetime.timedelta(days=1)}
    settings.EXCHANGE_MAX_ROWS = 10**7
    with step("exchange_data, masked") as masked:
        data = exchange_data(department=dept, **period)
    print(
        f"    {data.total:,} rows ({len(data.records):,} records, {len(data.repairs):,} repairs, "
        f"{len(data.objections):,} objections): {data.total / masked.seconds:,.0f} rows/s"
    )
    with step("exchange_data, full identifiers") as full:
        data = exchange_data(department=dept, full=True, **period)
    print(f"    {len(data.revealed):,} persons revealed: {data.total / full.seconds:,.0f} rows/s")
    with step("workbook (3 sheets)"):
        size = len(exchange_xlsx(data))
    print(f"    {size / 1024 / 1024:.1f} MB")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EXCHANGE_UPSTREAM_URL = f"http://127.0.0.1:{server.server_address[1]}/batches"
    user = User.objects.get(username="bench_center")
    with step("outbox_batch_create (web request: counts, queue)"):
        batch = outbox_batch_create(user=user, **period)  # the task is queued on commit; no worker runs here
    with step("outbox_batch_prepare (worker: freeze, JSON, gzip, encrypt, access log)"):
        outbox_batch_prepare(batch=batch)
    batch.refresh_from_db()
    body = payload_bytes(batch)
    print(f"    body {len(body) / 1024 / 1024:.1f} MB JSON, stored {len(batch.payload_encrypted) / 1024 / 1024:.1f} MB")
    with step("one push to a local HTTP server"):
        status = outbox_batch_send(batch=batch)
    print(f"    {status}")
    server.shutdown()


if __name__ == "__main__":
    main()

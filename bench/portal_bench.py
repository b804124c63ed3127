"""Public portal benchmark: 2-character name search, subject profile, report PDF, profile pages/s.

    .venv/bin/python bench/portal_bench.py                                   # 1,000,000 subjects, 10 records each
    .venv/bin/python bench/portal_bench.py --subjects 100000 --records 1000000
    .venv/bin/python bench/portal_bench.py --generate-only
    .venv/bin/python bench/portal_bench.py --wrk 20                          # adds gunicorn + wrk, 20 s

Database: ``--database-url`` (default ``BENCH_DATABASE_URL``, else
``postgres://postgres@127.0.0.1:5432/credit_portal7``); created and migrated
if missing. The data is generated set-based in PostgreSQL (``INSERT … SELECT
generate_series``) from the demo word lists in ``fixtures/demo/names.json``,
so names look like the county's (``乳山市鑫源水产有限公司``, ``王秀英``) and
two-character fragments have the real skew: ``有限`` matches most companies,
``鑫源`` a few thousand. Records are 40% penalties, 60% licences, decided over
the last four years; penalties leave publicity after a year (``expired``), so
about a quarter of them are public. Kept and reused while its size matches
(``--regenerate`` to rebuild).

Measured (server time, in process, warm cache):

* ``public_subject_search`` and ``GET /search/?q=`` for 2-character fragments
  cut at random positions of random existing names (so frequent fragments
  are drawn as often as they occur), and the plan of one rare and one frequent
  query;
* ``subject_profile`` and ``GET /profile/<pk>/`` for random subjects;
* report issuance (snapshot + PDF) for random subjects;
* with ``--wrk SECONDS``: gunicorn with the production settings
  (``credit_portal/gunicorn_conf.py``; ``--workers``, default 2, ``--threads``, default 1)
  on loopback and ``wrk`` (``--connections``, default 8) requesting random profile pages
  (rate limits switched off for it); then the CPU time per page of the workers, their
  PostgreSQL backends and wrk — a figure that holds when other work shares the CPUs,
  which pages/s does not.

Never run as a timed test; it prints its figures.
"""

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import deferred_indexes, rebuild, setup_django, step, words

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/credit_portal7"
BENCH_DEPT = ("bench_portal", "乳山市市场监督管理局（门户基准）", "11371083MA0BENCH0X")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=None, help="default: 10 per subject")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="records inserted per statement")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--profiles", type=int, default=300)
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--wrk", type=int, default=0, help="seconds of wrk against gunicorn (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="per worker; more than 1 runs gthread workers")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--seed", type=int, default=20241010)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--parts", default="search,profile,report", help="comma-separated: search, profile, report")
    args = parser.parse_args()
    if args.records is None:
        args.records = args.subjects * 10
    return args


# --- data ------------------------------------------------------------------------------------


def data_matches(args) -> bool:
    from apps.records.models import Record
    from apps.subjects.models import Subject

    return Subject.objects.count() == args.subjects and Record.objects.count() == args.records


def generate(args):
    from django.db import connection, transaction

    from apps.accounts.models import Department
    from apps.catalog.models import RecordType

    n = args.subjects
    w = words()
    print(f"generating {n:,} subjects (10% persons), {args.records:,} records")
    code, name, uscc = BENCH_DEPT
    dept, _ = Department.objects.get_or_create(
        code=code, defaults={"name": name, "uscc": uscc, "region_code": "371083"}
    )
    penalty = RecordType.objects.get(code="penalty").pk
    license_ = RecordType.objects.get(code="license").pk
    # One transaction: a failed or interrupted run rolls back to the old data with every index in place.
    with transaction.atomic(), connection.cursor() as cur:
        with step("truncate"):
            cur.execute(
                "TRUNCATE lists_checkfeedback, lists_creditcheck, lists_warninginterview, lists_listentry, "
                "records_recordevent, records_submission, records_record, subjects_subject RESTART IDENTITY CASCADE"
            )
            cur.execute("TRUNCATE reports_creditreport RESTART IDENTITY CASCADE")
        with step("drop secondary indexes and constraints"):
            rebuild_records = deferred_indexes(cur, "records_record")
            rebuild_subjects = deferred_indexes(cur, "subjects_subject")
        with step(f"{n:,} subjects (INSERT … SELECT generate_series)"):
            # Pseudo-random picks from the word lists: a multiplicative hash of i per list.
            cur.execute(
                """
                INSERT INTO subjects_subject (kind, name, uscc, code_valid, code_warnings, registration_number,
                    organization_code, tax_number, institution_number, social_org_number, legal_representative,
                    region_code, status, id_number_hash, id_number_masked, id_number_encrypted, created_at, updated_at)
                SELECT CASE WHEN i %% 10 = 0 THEN 'person' WHEN i %% 10 < 7 THEN 'legal' ELSE 'individual_business' END,
                       CASE WHEN i %% 10 = 0 THEN
                                (%(surnames)s::text[])[1 + (i * 7919) %% cardinality(%(surnames)s::text[])]
                                || (%(given)s::text[])[1 + (i * 104729) %% cardinality(%(given)s::text[])]
                                || CASE WHEN i %% 3 = 0 THEN (%(given)s::text[])[1 + (i * 1299709) %% cardinality(%(given)s::text[])] ELSE '' END
                            WHEN i %% 10 < 7 THEN
                                (%(prefixes)s::text[])[1 + (i * 31) %% cardinality(%(prefixes)s::text[])]
                                || (%(first)s::text[])[1 + (i * 7919) %% cardinality(%(first)s::text[])]
                                || (%(second)s::text[])[1 + (i * 104729) %% cardinality(%(second)s::text[])]
                                || (%(industries)s::text[])[1 + (i * 1299709) %% cardinality(%(industries)s::text[])]
                                || (%(forms)s::text[])[1 + (i * 15485863) %% cardinality(%(forms)s::text[])]
                            ELSE '乳山市' || (%(towns)s::text[])[1 + (i * 31) %% cardinality(%(towns)s::text[])]
                                || (%(surnames)s::text[])[1 + (i * 7919) %% cardinality(%(surnames)s::text[])]
                                || (%(first)s::text[])[1 + (i * 104729) %% cardinality(%(first)s::text[])]
                                || (%(shops)s::text[])[1 + (i * 1299709) %% cardinality(%(shops)s::text[])]
                       END,
                       CASE WHEN i %% 10 = 0 THEN '' ELSE '91371083' || lpad(i::text, 9, '0') || 'X' END,
                       true, '[]'::jsonb,
                       CASE WHEN i %% 4 = 1 THEN '371083' || lpad(i::text, 9, '0') ELSE '' END,
                       '', '', '', '', CASE WHEN i %% 10 = 0 THEN '' ELSE '张' || (i %% 1000) END, '371083',
                       CASE WHEN i %% 25 = 0 THEN 'cancelled' ELSE 'operating' END,
                       '', CASE WHEN i %% 10 = 0 THEN '371083********' || lpad((i %% 10000)::text, 4, '0') ELSE '' END,
                       '', now(), now()
                FROM generate_series(1, %(n)s::bigint) AS i
                """,
                {**w, "n": n},
            )
        done = 0
        while done < args.records:
            size = min(args.chunk, args.records - done)
            with step(f"records {done + 1:,}–{done + size:,} (INSERT … SELECT)"):
                cur.execute(
                    """
                    INSERT INTO records_record (catalog_version, data, private_data, subject_name, subject_kind,
                        subject_code, decision_number, decision_date, valid_to, severity, status, report_deadline,
                        deadline_calendar, reported_at, timely, is_publicised, publicity_start, publicity_min_end,
                        publicity_end, under_repair, repaired, under_objection, source, content_hash, created_at,
                        updated_at, department_id, record_type_id, subject_id, severity_source, published_at,
                        created_by_label)
                    SELECT 1,
                           CASE WHEN g.penalty THEN jsonb_build_object('CF_WSH', 'BP-' || g.i, 'CF_XDR_MC', s.name,
                                    'CF_WFXW', '未按规定公示年度报告', 'CF_CFLB', '罚款',
                                    'CF_NR', '罚款人民币' || (g.i %% 50 + 1) * 100 || '元', 'CF_NR_FK', '0.1')
                                ELSE jsonb_build_object('XK_WSH', 'BL-' || g.i, 'XK_XDR_MC', s.name,
                                    'XK_XKLB', '普通', 'XK_NR', '食品经营许可', 'XK_XKZS', '食品经营许可证') END,
                           '{}'::jsonb, s.name, s.kind,
                           CASE WHEN s.uscc <> '' THEN s.uscc ELSE s.id_number_masked END,
                           CASE WHEN g.penalty THEN 'BP-' ELSE 'BL-' END || g.i, g.decided, NULL,
                           CASE WHEN g.i %% 20 = 0 THEN 'serious' ELSE 'general' END,
                           CASE WHEN g.penalty AND g.decided + 365 < current_date THEN 'expired' ELSE 'published' END,
                           g.decided + 9, 'official', now(), true, true, g.decided,
                           CASE WHEN g.penalty THEN g.decided + 90 END,
                           CASE WHEN g.penalty THEN g.decided + 365 ELSE g.decided + 3650 END,
                           g.i %% 97 = 0, false, g.i %% 89 = 0, 'api', md5(g.i::text), now(), now(),
                           %(dept)s, CASE WHEN g.penalty THEN %(penalty)s ELSE %(license)s END, s.id,
                           'stated', now(), 'bench'
                    FROM (
                        SELECT i, i %% 5 < 2 AS penalty, current_date - (i %% 1460)::int AS decided,
                               (i * 104729) %% %(n)s + 1 AS subject_id
                        FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS i
                    ) AS g
                    JOIN subjects_subject s ON s.id = g.subject_id
                    """,
                    {
                        "dept": dept.pk,
                        "penalty": penalty,
                        "license": license_,
                        "n": n,
                        "start": done + 1,
                        "stop": done + size,
                    },
                )
            done += size
        with step(f"rebuild {len(rebuild_subjects)} subject indexes and constraints"):
            rebuild(cur, rebuild_subjects)
        with step(f"rebuild {len(rebuild_records)} record indexes and constraints"):
            rebuild(cur, rebuild_records)
    with step("VACUUM ANALYZE"), connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE subjects_subject")
        cur.execute("VACUUM ANALYZE records_record")


# --- measuring --------------------------------------------------------------------------------


def pct(samples, p):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))]


def summary(label: str, samples: list[float]):
    print(
        f"  {label}: n={len(samples)}  p50 {statistics.median(samples):.1f} ms  p95 {pct(samples, 95):.1f} ms  "
        f"p99 {pct(samples, 99):.1f} ms  max {max(samples):.1f} ms",
        flush=True,
    )
    return {"p50": statistics.median(samples), "p99": pct(samples, 99)}


def timed(fn, items):
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - start) * 1000)
    return times


def two_char_fragments(rng, count):
    from apps.subjects.models import Subject

    top = Subject.objects.order_by("-pk").values_list("pk", flat=True).first()
    fragments = []
    while len(fragments) < count:
        pks = [rng.randint(1, top) for _ in range(count)]
        for name in Subject.objects.filter(pk__in=pks).values_list("name", flat=True):
            if len(name) >= 2:
                start = rng.randint(0, len(name) - 2)
                fragments.append(name[start : start + 2])
    return fragments[:count]


def explain(query: str):
    from django.db import connection
    from django.utils import timezone

    from apps.portal.search import name_candidates

    for persons in (False, True):
        qs = name_candidates(terms=[query], on=timezone.localdate(), persons=persons)[:201]
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute("SET jit = off")
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(f"      {row[0]}" for row in cur.fetchall())
        print(f"\n  plan for {query!r} among {'persons' if persons else 'organisations'}:\n{plan}")


def measure_search(args, rng):
    from django.test import Client
    from django.utils import timezone

    from apps.portal.search import public_subject_search

    fragments = two_char_fragments(rng, args.searches)
    today = timezone.localdate()
    for fragment in fragments[:10]:
        public_subject_search(query=fragment, on=today)
    print(f"\n2-character name search, {len(fragments)} fragments cut from random names")
    hits = []

    def run(fragment):
        hits.append(len(public_subject_search(query=fragment, on=today).hits))

    result = summary("public_subject_search (selector)", timed(run, fragments))
    print(f"  hits per query: median {statistics.median(hits):.0f}, max {max(hits)} (capped at the setting)")
    client = Client()
    page = summary(
        "GET /search/?q= (whole Django stack)",
        timed(lambda f: client.get("/search/", {"q": f}), fragments),
    )
    for fragment in ("有限", "鑫源"):
        explain(fragment)
    return result, page


def measure_profiles(args, rng):
    from django.test import Client
    from django.utils import timezone

    from apps.portal.selectors import subject_profile
    from apps.subjects.models import Subject

    top = Subject.objects.order_by("-pk").values_list("pk", flat=True).first()
    companies = [pk for pk in (rng.randint(1, top) for _ in range(args.profiles * 2)) if pk % 10][: args.profiles]
    today = timezone.localdate()
    for pk in companies[:10]:
        subject_profile(pk=pk, on=today)
    print(f"\nprofile, {len(companies)} random organisations")
    counts = []

    def run(pk):
        counts.append(len(subject_profile(pk=pk, on=today).records))

    result = summary("subject_profile (selector)", timed(run, companies))
    print(f"  public records per profile: median {statistics.median(counts):.0f}, max {max(counts)}")
    client = Client()
    page = summary(
        "GET /profile/<pk>/ (whole Django stack)", timed(lambda pk: client.get(f"/profile/{pk}/"), companies)
    )
    return result, page, top


def measure_reports(args, rng, top):
    from django.utils import timezone

    from apps.portal.selectors import subject_profile
    from apps.reports.pdf import report_pdf
    from apps.reports.services import report_issue
    from apps.subjects.models import Subject

    pks = [pk for pk in (rng.randint(1, top) for _ in range(args.reports * 3)) if pk % 10][: args.reports]
    subjects = {s.pk: s for s in Subject.objects.filter(pk__in=pks)}
    today = timezone.localdate()
    print(f"\nreport issuance, {len(pks)} standard reports")
    reports = []

    def issue(pk):
        reports.append(report_issue(subject=subjects[pk], purpose="self_check", requester=None, client_ip="127.0.0.1"))

    subject_profile(pk=pks[0], on=today)
    summary("report_issue (snapshot + hash + save)", timed(issue, pks))
    return summary("report_pdf (render PDF with CJK font and QR code)", timed(report_pdf, reports))


def cpu_seconds(pids) -> float:
    """User + system CPU seconds spent so far by the live processes among ``pids``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def children(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return pids


def backends() -> list[int]:
    """The PostgreSQL backends of the bench database other than this process's own (the workers')."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return [pid for (pid,) in cur.fetchall()]


def measure_wrk(args, top, rng):
    port = 8765
    # The production settings (credit_portal/gunicorn_conf.py) with the bench's workers and threads;
    # no access log: wrk's requests would fill the terminal.
    env = {
        **os.environ,
        "RATELIMIT_ENABLE": "false",
        "DEBUG": "false",
        "DJANGO_ENV": "development",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESSLOG": "",
        # No worker recycling inside a run: a replaced worker's CPU time could not be counted.
        "GUNICORN_MAX_REQUESTS": "0",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:credit_portal.gunicorn_conf",
            "credit_portal.wsgi:application",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(4)
        pks = [pk for pk in (rng.randint(1, top) for _ in range(4000)) if pk % 10][:2000]
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        script.write(
            "local pks = {" + ",".join(map(str, pks)) + "}\n"
            "request = function()\n"
            "  return wrk.format('GET', '/profile/' .. pks[math.random(#pks)] .. '/')\n"
            "end\n"
        )
        script.close()
        subprocess.run(
            ["wrk", "-t1", "-c8", "-d2s", "-s", script.name, f"http://127.0.0.1:{port}/"],
            check=True,
            capture_output=True,
        )
        print(
            f"\nwrk: {args.wrk} s, {args.connections} connections, random profile pages, "
            f"gunicorn {args.workers} workers × {args.threads} threads"
        )
        # CPU per page, whatever else the machine runs: the workers' and their PostgreSQL backends'
        # CPU time over the run, and wrk's own (a waited-for child), divided by the pages served.
        workers, pg = children(server.pid), backends()
        before = cpu_seconds(workers), cpu_seconds(pg), resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.wrk}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}/",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        after = cpu_seconds(workers), cpu_seconds(pg), resource.getrusage(resource.RUSAGE_CHILDREN)
        print("\n".join(f"  {line}" for line in out.splitlines()))
        pages = int(re.search(r"(\d+) requests in", out).group(1))
        wrk_cpu = (after[2].ru_utime + after[2].ru_stime) - (before[2].ru_utime + before[2].ru_stime)
        parts = {"gunicorn": after[0] - before[0], "PostgreSQL": after[1] - before[1], "wrk": wrk_cpu}
        per_page = {name: seconds * 1000 / pages for name, seconds in parts.items()}
        total = sum(per_page.values())
        print(
            "  CPU per page: "
            + ", ".join(f"{name} {ms:.2f} ms" for name, ms in per_page.items())
            + f" = {total:.2f} ms; {os.cpu_count()} CPUs at 100% would serve ~{os.cpu_count() * 1000 / total:.0f} pages/s"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    args = parse_args()
    setup_django(args.database_url, RATELIMIT_ENABLE="false")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    if args.regenerate or not data_matches(args):
        generate(args)
        print(f"data generated in {time.perf_counter() - started:.0f} s")
    else:
        print(f"reusing {args.subjects:,} subjects and {args.records:,} records")
    if args.generate_only:
        return
    from apps.subjects.models import Subject

    parts = set(args.parts.split(","))
    top = Subject.objects.order_by("-pk").values_list("pk", flat=True).first()
    if "search" in parts:
        measure_search(args, rng)
    if "profile" in parts:
        measure_profiles(args, rng)
    if "report" in parts:
        measure_reports(args, rng, top)
    if args.wrk:
        measure_wrk(args, top, rng)


if __name__ == "__main__":
    main()

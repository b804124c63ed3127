"""Public lists benchmark: every public list page and public API page at 10,000,000 records.

    nice -n 10 .venv/bin/python bench/portal_bench.py --database-url $URL --generate-only   # the 10M records
    .venv/bin/python bench/public_lists_bench.py --database-url $URL                       # this code
    .venv/bin/python bench/public_lists_bench.py --database-url $URL --code var/before      # older code

Database: ``--database-url`` (default ``BENCH_DATABASE_URL``, else
``postgres://postgres@127.0.0.1:5432/credit_bench_publicq``) holding
portal_bench's 1,000,000 subjects and 10,000,000 records; this bench adds, if
missing, ``--entries`` red/black/watch list entries (their ``list_entry``
records too) and ``--commitments`` commitments, set-based.

``--code DIR`` runs the pages of another checkout of the project (e.g. the
commit before a change, from ``git archive <commit> | tar -x -C var/before``)
against the same database: that tree's settings, views and migrations are the
ones imported. So a before/after comparison is two runs of this script.

Measured in process (Django test client, whole middleware stack, no network;
rate limits and throttles off), ``--samples`` requests per case after one
warm-up request: p50 / p99 / max, the HTTP status and the rows on the page,
for each public list page and public API list, first page, a deep page and with
filters. A case whose request takes longer than ``--slow`` seconds is sampled
only ``--slow-samples`` times (the "before" code counts millions of rows on
every page).
"""

import argparse
import base64
import datetime
import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/credit_bench_publicq"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--code", default=str(ROOT), help="project tree whose pages are measured")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--commitments", type=int, default=300_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--slow", type=float, default=1.0)
    parser.add_argument("--slow-samples", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated substrings of case labels")
    parser.add_argument("--seed", type=int, default=20261207)
    return parser.parse_args()


def setup(args):
    code = Path(args.code).resolve()
    sys.path.insert(0, str(code))
    sys.path.insert(1, str(HERE))  # benchlib
    os.chdir(code)
    from benchlib import setup_django

    # Rate limits and DRF's anonymous throttle off: the bench would be limited, not measured.
    setup_django(args.database_url, RATELIMIT_ENABLE="false", API_ANON_RATE="1000000/min")
    from django.conf import settings

    settings.REST_FRAMEWORK.setdefault("DEFAULT_THROTTLE_RATES", {})["anon"] = "1000000/min"
    print(f"code: {code}")


# --- data ------------------------------------------------------------------------------------


def ensure_extras(args):
    """List entries and commitments, set-based, if the database has fewer than asked."""
    from benchlib import step
    from django.db import connection

    from apps.accounts.models import Department
    from apps.catalog.models import RecordType
    from apps.commitments.models import Commitment, CommitmentTemplate
    from apps.lists.models import ListEntry, ListType

    dept = Department.objects.get(code="bench_portal")
    n = connection.cursor()
    n.execute("SELECT max(id) FROM subjects_subject")
    top = n.fetchone()[0]
    if ListEntry.objects.count() < args.entries:
        entry_type = RecordType.objects.get(code="list_entry").pk
        types = list(ListType.objects.order_by("pk").values_list("pk", flat=True))
        with connection.cursor() as cur:
            with step(f"{args.entries:,} list-entry records and entries (INSERT … SELECT)"):
                cur.execute(
                    """
                    INSERT INTO records_record (catalog_version, data, private_data, subject_name, subject_kind,
                        subject_code, decision_number, decision_date, valid_to, severity, status, report_deadline,
                        deadline_calendar, reported_at, timely, is_publicised, publicity_start, publicity_min_end,
                        publicity_end, under_repair, repaired, under_objection, source, content_hash, created_at,
                        updated_at, department_id, record_type_id, subject_id)
                    SELECT 1, jsonb_build_object('MD_XDR_MC', s.name, 'MD_MDLX', lt.name, 'MD_RDWSH', 'BL-L-' || g.i),
                           '{}'::jsonb, s.name, s.kind, CASE WHEN s.uscc <> '' THEN s.uscc ELSE s.id_number_masked END,
                           'BL-L-' || g.i, current_date - (g.i %% 1000), current_date - (g.i %% 1000) + 1095,
                           'serious', 'published', current_date - (g.i %% 1000) + 9, 'official', now(), true,
                           lt.is_public, current_date - (g.i %% 1000), NULL, NULL, false, false, false, 'api',
                           md5('l' || g.i), now(), now(), %(dept)s, %(entry_type)s, s.id
                    FROM generate_series(1, %(entries)s) AS g(i)
                    JOIN subjects_subject s ON s.id = (g.i::bigint * 7919) %% %(top)s + 1
                    JOIN lists_listtype lt ON lt.id = (%(types)s::bigint[])[1 + g.i %% cardinality(%(types)s::bigint[])]
                    """,
                    {"dept": dept.pk, "entry_type": entry_type, "entries": args.entries, "top": top, "types": types},
                )
                cur.execute(
                    """
                    INSERT INTO lists_listentry (recognised_on, valid_until, legal_representative, state, removed_on,
                        removal_reason, created_at, updated_at, department_id, record_id, subject_id, list_type_id)
                    SELECT r.decision_date, r.valid_to, '', CASE WHEN r.id %% 31 = 0 THEN 'removed' ELSE 'listed' END,
                           NULL, '', now(), now(), r.department_id, r.id, r.subject_id, lt.id
                    FROM records_record r JOIN lists_listtype lt ON lt.name = r.data ->> 'MD_MDLX'
                    WHERE r.record_type_id = %(entry_type)s AND r.decision_number LIKE 'BL-L-%%'
                    """,
                    {"entry_type": entry_type},
                )
                cur.execute("ANALYZE lists_listentry")
                cur.execute("ANALYZE records_record")
    if Commitment.objects.count() < args.commitments:
        template = CommitmentTemplate.objects.order_by("pk").first()
        with connection.cursor() as cur, step(f"{args.commitments:,} commitments (INSERT … SELECT)"):
            cur.execute(
                """
                INSERT INTO commitments_commitment (code, template_id, type, matter, subject_id, text, signed_on,
                    due_on, channel, supervising_department_id, status, fulfilment_deadline, deadline_calendar,
                    created_at)
                SELECT '371083' || to_char(current_date - (g.i %% 1000), 'YYYYMMDD') || lpad(g.i::text, 6, '0'),
                       %(template)s, 'tolerance', '基准承诺事项', (g.i::bigint * 104729) %% %(top)s + 1, '基准承诺',
                       current_date - (g.i %% 1000), current_date - (g.i %% 1000) + 30, 'online', %(dept)s,
                       (ARRAY['signed', 'fulfilled', 'fulfilled', 'partial', 'breached'])[1 + g.i %% 5],
                       current_date - (g.i %% 1000) + 40, 'official', now()
                FROM generate_series(1, %(n)s) AS g(i)
                """,
                {"template": template.pk, "top": top, "dept": dept.pk, "n": args.commitments},
            )
            cur.execute("ANALYZE commitments_commitment")


# --- measuring --------------------------------------------------------------------------------


def pct(samples, p):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))]


def rows_on(response) -> str:
    if response.status_code != 200:
        return "-"
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        return str(len(body["results"]) if isinstance(body, dict) and "results" in body else len(body))
    # Table rows of the page, less the header row (the test client keeps no template context here).
    return str(max(response.content.decode().count("<tr") - 1, 0))


def cases(rng):
    """(label, path, params) of every public list page and public API list: first page, deep, filtered."""
    from apps.records.models import Record
    from apps.subjects.models import Subject

    top = Subject.objects.order_by("-pk").values_list("pk", flat=True).first()
    subject = Subject.objects.filter(pk=rng.randint(1, top // 10) * 10 + 1).first()
    code = subject.uscc
    # A deep API cursor, as "next" would give it: a row decided 400 days ago, some 2,700,000 rows down the
    # public order (the offset the "before" code is given instead is 1,000,000).
    day, pk = (
        Record.objects.filter(decision_date=datetime.date.today() - datetime.timedelta(days=400))
        .order_by("-pk")
        .values_list("decision_date", "pk")
        .first()
    )
    cursor = base64.urlsafe_b64encode(f"{day.isoformat()}|{pk}".encode()).decode().rstrip("=")
    return [
        ("API records/public first page", "/api/v1/records/public/", {}),
        ("API records/public limit=1000", "/api/v1/records/public/", {"limit": "1000"}),
        (
            "API records/public deep (offset 1,000,000 / cursor)",
            "/api/v1/records/public/",
            {"offset": "1000000", "cursor": cursor},
        ),
        ("API records/public type=penalty", "/api/v1/records/public/", {"type": "penalty"}),
        ("API records/public code=<USCC>", "/api/v1/records/public/", {"code": code}),
        (
            "API records/public decided in one month",
            "/api/v1/records/public/",
            {"decided_from": "2025-03-01", "decided_to": "2025-03-31"},
        ),
        ("API records/public name=有限 (frequent)", "/api/v1/records/public/", {"name": "有限"}),
        ("API records/public name=<subject's name> (rare)", "/api/v1/records/public/", {"name": subject.name}),
        ("API departments", "/api/v1/departments/", {}),
        ("/publicity/ first page", "/publicity/", {}),
        ("/publicity/ page 50", "/publicity/", {"page": "50"}),
        ("/publicity/ page 50,000", "/publicity/", {"page": "50000"}),
        ("/publicity/ type=license", "/publicity/", {"type": "license"}),
        ("/publicity/ code=<USCC>", "/publicity/", {"code": code}),
        ("/publicity/ name=有限 (frequent)", "/publicity/", {"name": "有限"}),
        ("/publicity/ name=<subject's name> (rare)", "/publicity/", {"name": subject.name}),
        ("/lists/public/ first page", "/lists/public/", {}),
        ("/lists/public/ page 50", "/lists/public/", {"page": "50"}),
        ("/lists/public/ page 2,000", "/lists/public/", {"page": "2000"}),
        ("/lists/public/ color=black", "/lists/public/", {"color": "black"}),
        ("/commitments/public/ first page", "/commitments/public/", {}),
        ("/commitments/public/ page 50", "/commitments/public/", {"page": "50"}),
        ("/commitments/public/ page 5,000", "/commitments/public/", {"page": "5000"}),
        ("/commitments/public/ q=<USCC>", "/commitments/public/", {"q": code}),
        ("/commitments/public/ q=有限", "/commitments/public/", {"q": "有限"}),
        ("/search/ q=有限", "/search/", {"q": "有限"}),
        ("/search/ q=<USCC>", "/search/", {"q": code}),
        ("/articles/", "/articles/", {}),
    ]


def measure(args):
    from django.test import Client

    rng = random.Random(args.seed)
    client = Client()
    only = [s for s in args.only.split(",") if s]
    results = []
    # What gunicorn's master does after loading Django (credit_portal/gunicorn_conf.py, when_ready): the
    # start-up objects go to the collector's permanent generation. Warm each page once first, so what the
    # first request loads (URL resolvers, templates) is frozen too, as it mostly is in a preloaded worker.
    for path in (
        "/",
        "/search/",
        "/articles/",
        "/publicity/",
        "/lists/public/",
        "/commitments/public/",
        "/api/v1/records/public/",
        "/api/v1/departments/",
    ):
        client.get(path)
    gc.freeze()
    print(f"\n{'case':58} {'n':>3} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'status':>7} {'rows':>5}")
    for label, path, params in cases(rng):
        if only and not any(s in label for s in only):
            continue
        times, statuses, rows = [], set(), "?"
        target = args.samples
        # Two warm-up requests (the first may read cold pages), not counted unless they show the case is slow.
        client.get(path, params)
        start = time.perf_counter()
        response = client.get(path, params)
        first = time.perf_counter() - start
        if first > args.slow:
            target = args.slow_samples
            times.append(first * 1000)
            statuses.add(response.status_code)
            rows = rows_on(response)
        while len(times) < target:
            start = time.perf_counter()
            response = client.get(path, params)
            times.append((time.perf_counter() - start) * 1000)
            statuses.add(response.status_code)
            rows = rows_on(response)
        status = "/".join(str(s) for s in sorted(statuses))
        p50, p99 = statistics.median(times), pct(times, 99)
        print(
            f"{label:58} {len(times):>3} {p50:>9.1f} {p99:>9.1f} {max(times):>9.1f} {status:>7} {rows:>5}", flush=True
        )
        results.append((label, len(times), p50, p99, status, rows))
    print("\nmarkdown:\n| case | n | p50 ms | p99 ms | status | rows |\n|---|---|---|---|---|---|")
    for label, n, p50, p99, status, rows in results:
        print(f"| {label} | {n} | {p50:.1f} | {p99:.1f} | {status} | {rows} |")


def main():
    args = parse_args()
    setup(args)
    ensure_extras(args)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM records_record")
        print(f"{cur.fetchone()[0]:,} records")
    measure(args)


if __name__ == "__main__":
    main()

"""信用核查 benchmark: single-check server time and a 10,000-subject batch on PostgreSQL.

    .venv/bin/python bench/credit_check_bench.py                      # 1,000,000 subjects, 100,000 entries
    .venv/bin/python bench/credit_check_bench.py --subjects 100000 --entries 10000 --checks 300 --batch 2000

Creates the database if missing (default ``credit_bench_checks``), migrates it,
generates the data set-based (``INSERT … SELECT generate_series``; persons get
real keyed ID-number hashes through ``COPY``), then measures:

* ``credit_check_run`` server time over ``--checks`` checks (random existing
  codes — a third of them subjects on a list —, some ID numbers, some names,
  some unknown codes): median, p95, p99, max, and queries per check;
* the same through the API (``POST /api/v1/credit-checks/`` with an API key,
  the whole middleware / DRF stack in process), unless ``--no-api``;
* a ``--batch`` batch: reading the uploaded .xlsx, ``credit_check_batch``
  (bulk resolution, entries and records in one query per 2,000 subjects, one
  ``bulk_create``) and writing the result .xlsx, each timed.

Generated data is kept and reused when its size matches (``--regenerate`` to
force). Never run as a timed test; it prints its figures.
"""

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

from benchlib import setup_django, step

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/credit_bench_checks"
BENCH_PREFIX = "BENCH-"
# List types per share of entries: black mostly, then red, then watch (fixture codes).
LIST_MIX = [
    "dishonest_judgment_debtor",
    "dishonest_judgment_debtor",
    "major_tax_violation",
    "major_tax_violation",
    "work_safety_serious",
    "statistics_serious",
    "overload_transport",
    "market_serious_violation",
    "wage_arrears",
    "market_serious_violation",
    "dishonest_judgment_debtor",
    "major_tax_violation",
    "a_grade_taxpayer",
    "a_grade_taxpayer",
    "customs_aeo",
    "contract_honouring",
    "abnormal_operation",
    "abnormal_operation",
    "key_attention",
    "key_attention",
]
DEPARTMENTS = [
    ("bench_court", "乳山市人民法院", "11371083BENCH0001", ["dishonest_judgment_debtor"]),
    ("bench_tax", "国家税务总局乳山市税务局（基准）", "11371083BENCH0002", ["major_tax_violation", "a_grade_taxpayer"]),
    ("bench_safety", "乳山市应急管理局", "11371083BENCH0003", ["work_safety_serious"]),
    ("bench_stats", "乳山市统计局", "11371083BENCH0004", ["statistics_serious"]),
    ("bench_transport", "乳山市交通运输局", "11371083BENCH0005", ["overload_transport"]),
    (
        "bench_market",
        "乳山市市场监督管理局（基准）",
        "11371083BENCH0006",
        ["market_serious_violation", "contract_honouring", "abnormal_operation"],
    ),
    ("bench_hrss", "乳山市人力资源和社会保障局", "11371083BENCH0007", ["wage_arrears"]),
    ("bench_customs", "乳山海关", "11371083BENCH0008", ["customs_aeo"]),
    ("bench_dev", "乳山市发展和改革局", "11371083BENCH0009", ["key_attention"]),
    ("bench_hall", "乳山市行政审批服务局", "11371083BENCH0010", []),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=200_000, help="penalty records in publicity")
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20241010)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-api", action="store_true")
    return parser.parse_args()


# --- data ------------------------------------------------------------------------------------


def bench_uscc(i: int) -> str:
    return f"91371083{i:09d}X"


def person_id_number(i: int) -> str:
    from stdnum.cn import ric

    birth = 19500101 + (i % 28) + 100 * ((i // 28) % 12) + 10000 * ((i // 336) % 50)
    first17 = f"371083{birth:08d}{i % 1000:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def data_matches(args) -> bool:
    from apps.lists.models import ListEntry
    from apps.records.models import Record
    from apps.subjects.models import Subject

    return (
        Subject.objects.count() == args.subjects
        and ListEntry.objects.count() == args.entries
        and Record.objects.filter(decision_number__startswith="BENCH-P-").count() == args.records
    )


def generate(args):
    from django.db import connection

    from apps.accounts.models import Department
    from apps.catalog.models import RecordType
    from apps.lists.models import ListType
    from apps.subjects.pii import id_number_hash

    n, persons = args.subjects, args.subjects // 10
    companies = n - persons
    print(f"generating {n:,} subjects ({persons:,} persons), {args.entries:,} list entries, {args.records:,} records")
    departments = {}
    for code, name, uscc, list_codes in DEPARTMENTS:
        dept, _ = Department.objects.get_or_create(
            code=code, defaults={"name": name, "uscc": uscc.ljust(18, "0")[:18], "region_code": "371083"}
        )
        departments[code] = dept
        for list_type in ListType.objects.filter(code__in=list_codes):
            list_type.recognisers.add(dept)
    types = {lt.code: lt for lt in ListType.objects.all()}
    recogniser = {}
    for code, _name, _uscc, list_codes in DEPARTMENTS:
        for list_code in list_codes:
            recogniser[list_code] = departments[code].pk
    entry_type = RecordType.objects.get(code="list_entry").pk
    penalty_type = RecordType.objects.get(code="penalty").pk

    with connection.cursor() as cur:
        with step("truncate"):
            cur.execute(
                "TRUNCATE lists_checkfeedback, lists_creditcheck, lists_warninginterview, lists_listentry, "
                "records_recordevent, records_submission, records_record, subjects_subject RESTART IDENTITY CASCADE"
            )
        with step(f"{companies:,} enterprises and 个体工商户 (INSERT … SELECT generate_series)"):
            cur.execute(
                """
                INSERT INTO subjects_subject (kind, name, uscc, code_valid, code_warnings, registration_number,
                    organization_code, tax_number, institution_number, social_org_number, legal_representative,
                    region_code, status, id_number_hash, id_number_masked, id_number_encrypted, created_at, updated_at)
                SELECT CASE WHEN i %% 9 < 7 THEN 'legal' ELSE 'individual_business' END,
                       '乳山市基准' || i || CASE WHEN i %% 9 < 7 THEN '号商贸有限公司' ELSE '号便利店' END,
                       '91371083' || lpad(i::text, 9, '0') || 'X', true, '[]'::jsonb,
                       CASE WHEN i %% 4 = 0 THEN '371083' || lpad(i::text, 9, '0') ELSE '' END,
                       '', '', '', '', '张' || (i %% 1000), '371083',
                       CASE WHEN i %% 25 = 0 THEN 'cancelled' WHEN i %% 40 = 0 THEN 'revoked' ELSE 'operating' END,
                       '', '', '', now(), now()
                FROM generate_series(1, %s) AS i
                """,
                [companies],
            )
        with step(f"{persons:,} persons (keyed ID hashes computed in Python, COPY)"):
            with cur.copy(
                "COPY subjects_subject (kind, name, uscc, code_valid, code_warnings, registration_number, "
                "organization_code, tax_number, institution_number, social_org_number, legal_representative, "
                "region_code, status, id_number_hash, id_number_masked, id_number_encrypted, created_at, updated_at) "
                "FROM STDIN"
            ) as copy:
                for i in range(1, persons + 1):
                    number = person_id_number(i)
                    masked = number[:6] + "*" * 8 + number[14:]
                    copy.write_row(
                        (
                            "person",
                            f"基准自然人{i}",
                            "",
                            True,
                            "[]",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "371083",
                            "operating",
                            id_number_hash(number),
                            masked,
                            "",
                            "now",
                            "now",
                        )
                    )
        # Entries: spread over subjects with a stride; every 8th entry puts a second list on the previous
        # entry's subject (a subject on several lists); some are expired, removed or withdrawn by repair.
        mix = [types[c].pk for c in LIST_MIX]
        depts = [recogniser[c] for c in LIST_MIX]
        with step(f"{args.entries:,} list-entry records (INSERT … SELECT)"):
            cur.execute(
                """
                INSERT INTO records_record (catalog_version, data, private_data, subject_name, subject_kind,
                    subject_code, decision_number, decision_date, valid_to, severity, status, report_deadline,
                    deadline_calendar, reported_at, timely, is_publicised, publicity_start, publicity_min_end,
                    publicity_end, under_repair, repaired, under_objection, source, content_hash, created_at,
                    updated_at, department_id, record_type_id, subject_id)
                SELECT 1,
                       jsonb_build_object('MD_XDR_MC', s.name, 'MD_MDLX', lt.name, 'MD_RDYJ', lt.legal_basis,
                                          'MD_LRSY', '基准数据', 'MD_RDWSH', 'BENCH-L-' || g.i),
                       '{}'::jsonb, s.name, s.kind, CASE WHEN s.uscc <> '' THEN s.uscc ELSE s.id_number_masked END,
                       'BENCH-L-' || g.i, g.recognised, g.valid_to, 'serious',
                       CASE WHEN g.i %% 97 = 0 THEN 'revoked' ELSE 'published' END,
                       g.recognised + 9, 'official', now(), true, lt.is_public, g.recognised, NULL, NULL,
                       false, g.i %% 89 = 0, false, 'api', md5(g.i::text), now(), now(),
                       g.dept, %(entry_type)s, s.id
                FROM (
                    SELECT i,
                           (%(mix)s::bigint[])[1 + i %% 20] AS list_type_id,
                           (%(depts)s::bigint[])[1 + i %% 20] AS dept,
                           CASE WHEN i %% 8 = 0 THEN ((i - 1)::bigint * 7919) %% %(n)s + 1
                                ELSE (i::bigint * 7919) %% %(n)s + 1 END AS subject_id,
                           current_date - (i %% 700) AS recognised,
                           CASE WHEN i %% 23 = 0 THEN current_date - (i %% 700) + 5
                                ELSE current_date - (i %% 700) + 1095 END AS valid_to
                    FROM generate_series(1, %(entries)s) AS i
                ) AS g
                JOIN subjects_subject s ON s.id = g.subject_id
                JOIN lists_listtype lt ON lt.id = g.list_type_id
                """,
                {"entry_type": entry_type, "n": n, "entries": args.entries, "mix": mix, "depts": depts},
            )
        with step("list entries from those records (INSERT … SELECT)"):
            cur.execute(
                """
                INSERT INTO lists_listentry (recognised_on, valid_until, legal_representative, state, removed_on,
                    removal_reason, created_at, updated_at, department_id, record_id, subject_id, list_type_id)
                SELECT r.decision_date, r.valid_to, CASE WHEN r.subject_kind = 'person' THEN '' ELSE '张三' END,
                       CASE WHEN r.id %% 31 = 0 THEN 'removed' ELSE 'listed' END,
                       CASE WHEN r.id %% 31 = 0 THEN current_date - 1 END,
                       CASE WHEN r.id %% 31 = 0 THEN '基准：已移出' ELSE '' END,
                       now(), now(), r.department_id, r.id, r.subject_id, lt.id
                FROM records_record r
                JOIN lists_listtype lt ON lt.name = r.data ->> 'MD_MDLX'
                WHERE r.record_type_id = %(entry_type)s AND r.decision_number LIKE 'BENCH-L-%%'
                """,
                {"entry_type": entry_type},
            )
        with step(f"{args.records:,} penalty records in publicity (INSERT … SELECT)"):
            cur.execute(
                """
                INSERT INTO records_record (catalog_version, data, private_data, subject_name, subject_kind,
                    subject_code, decision_number, decision_date, valid_to, severity, status, report_deadline,
                    deadline_calendar, reported_at, timely, is_publicised, publicity_start, publicity_min_end,
                    publicity_end, under_repair, repaired, under_objection, source, content_hash, created_at,
                    updated_at, department_id, record_type_id, subject_id)
                SELECT 1, jsonb_build_object('CF_WSH', 'BENCH-P-' || g.i, 'CF_XDR_MC', s.name), '{}'::jsonb,
                       s.name, s.kind, CASE WHEN s.uscc <> '' THEN s.uscc ELSE s.id_number_masked END,
                       'BENCH-P-' || g.i, current_date - (g.i %% 900), NULL, 'general', 'published',
                       current_date - (g.i %% 900) + 9, 'official', now(), true, true,
                       current_date - (g.i %% 900), current_date - (g.i %% 900) + 90,
                       current_date - (g.i %% 900) + 1095, false, false, false, 'api', md5('p' || g.i), now(), now(),
                       %(dept)s, %(penalty_type)s, s.id
                FROM generate_series(1, %(records)s) AS g(i)
                JOIN subjects_subject s ON s.id = (g.i::bigint * 104729) %% %(n)s + 1
                """,
                {"dept": departments["bench_market"].pk, "penalty_type": penalty_type, "records": args.records, "n": n},
            )
        with step("ANALYZE"):
            cur.execute("ANALYZE subjects_subject, records_record, lists_listentry, lists_creditcheck")


# --- measuring --------------------------------------------------------------------------------


def pick_queries(count: int, rng: random.Random, n: int, persons: int):
    """(query, kind) pairs: listed subjects' codes, random codes, ID numbers, names, unknown codes."""
    from apps.lists.models import ListEntry

    companies = n - persons
    listed = list(
        ListEntry.objects.filter(subject__kind__in=["legal", "individual_business"])
        .values_list("subject_id", flat=True)
        .order_by("?")[: max(count, 1)]
    )
    queries = []
    for k in range(count):
        roll = k % 20
        if roll < 7 and listed:
            queries.append((bench_uscc(rng.choice(listed)), "listed code"))
        elif roll < 13:
            queries.append((bench_uscc(rng.randint(1, companies)), "random code"))
        elif roll < 15:
            queries.append((person_id_number(rng.randint(1, persons)), "ID number"))
        elif roll < 16:
            i = rng.randint(1, companies)
            queries.append((f"乳山市基准{i}{'号商贸有限公司' if i % 9 < 7 else '号便利店'}", "name"))
        elif roll < 17:
            queries.append((f"371083{4 * rng.randint(1, companies // 4):09d}", "legacy code"))
        else:
            queries.append((f"91371083{rng.randint(900_000_000, 999_999_999)}Y", "unknown code"))
    rng.shuffle(queries)
    return queries


def summary(label: str, samples: list[float]):
    samples = sorted(samples)

    def pct(p):
        return samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))]

    print(
        f"  {label}: n={len(samples)}  median {statistics.median(samples):.2f} ms  p95 {pct(95):.2f} ms  "
        f"p99 {pct(99):.2f} ms  max {samples[-1]:.2f} ms"
    )
    return {"median": statistics.median(samples), "p99": pct(99)}


def measure_single(args, queries, matters):
    from django.db import connection, reset_queries

    from apps.lists.checks import credit_check_run
    from apps.lists.models import Matter

    matter_objs = {m.code: m for m in Matter.objects.all()}
    for query, _kind in queries[:20]:  # warm-up
        credit_check_run(query=query, matter=matter_objs["bidding"], channel="api")
    times, by_kind, found, with_measures = [], {}, 0, 0
    connection.force_debug_cursor = True
    query_counts = []
    for index, (query, kind) in enumerate(queries):
        matter = matter_objs[matters[index % len(matters)]]
        reset_queries()
        start = time.perf_counter()
        check = credit_check_run(query=query, matter=matter, channel="api")
        elapsed = (time.perf_counter() - start) * 1000
        query_counts.append(len(connection.queries))
        times.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
        found += check.found
        with_measures += bool(check.result["measures"])
    connection.force_debug_cursor = False
    print(
        f"\ncredit_check_run (service, in process), {len(queries)} checks; {found} found, {with_measures} with measures"
    )
    result = summary("all", times)
    for kind, samples in sorted(by_kind.items()):
        summary(f"  {kind:<12}", samples)
    print(f"  queries per check: median {statistics.median(query_counts):.0f}, max {max(query_counts)}")
    return result


def measure_api(args, queries, matters):
    import json

    from django.test import Client

    from apps.accounts.models import ApiKey, Department

    hall = Department.objects.get(code="bench_hall")
    _key, raw = ApiKey.issue(name="基准测试大厅系统", department=hall, scopes=["credit-check"])
    client = Client(headers={"Authorization": f"Api-Key {raw}"})
    for query, _kind in queries[:20]:
        client.post("/api/v1/credit-checks/", json.dumps({"code": query, "matter": "bidding"}), "application/json")
    times = []
    for index, (query, kind) in enumerate(queries):
        body = {"name": query} if kind == "name" else {"code": query}
        body["matter"] = matters[index % len(matters)]
        start = time.perf_counter()
        response = client.post("/api/v1/credit-checks/", json.dumps(body), content_type="application/json")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 201, response.content[:500]
    print(f"\nPOST /api/v1/credit-checks/ (API key, full middleware + DRF stack, in process), {len(queries)} checks")
    return summary("all", times)


def measure_batch(args, rng, n, persons):
    from openpyxl import Workbook

    from apps.lists.check_files import batch_queries_read, batch_result_xlsx
    from apps.lists.checks import credit_check_batch
    from apps.lists.models import Matter

    queries = pick_queries(args.batch, rng, n, persons)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("名单")
    sheet.append(["序号", "名称", "统一社会信用代码"])
    for i, (query, kind) in enumerate(queries, start=1):
        sheet.append([i, query, ""] if kind == "name" else [i, "", query])
    buffer = io.BytesIO()
    workbook.save(buffer)

    class Upload(io.BytesIO):
        name = "名单.xlsx"
        size = len(buffer.getvalue())

    matter = Matter.objects.get(code="licensing")
    print(f"\nbatch of {len(queries):,} subjects (matter: {matter.name})")
    total = time.perf_counter()
    with step("read the uploaded .xlsx"):
        parsed = batch_queries_read(Upload(buffer.getvalue()))
    with step("credit_check_batch (resolve, entries, records, measures, bulk_create)"):
        checks = credit_check_batch(queries=parsed, matter=matter)
    with step("write the result .xlsx"):
        content = batch_result_xlsx(checks, matter=matter, queries=parsed)
    seconds = time.perf_counter() - total
    found = sum(c.found for c in checks)
    measured = sum(bool(c.result["measures"]) for c in checks)
    print(
        f"  total {seconds:.2f} s for {len(checks):,} rows ({found:,} found, {measured:,} with measures); "
        f"result file {len(content) / 1024:.0f} KB"
    )
    return seconds


def measure_figures():
    from apps.lists.figures import credit_check_figures

    start = time.perf_counter()
    figures = credit_check_figures()
    seconds = time.perf_counter() - start
    print(
        f"\nfigures: {seconds * 1000:.0f} ms — {figures.checks:,} checks / {figures.market_subjects:,} operating market "
        f"subjects = {figures.check_ratio_text()}; serious share {figures.serious_share_text()} "
        f"(score {figures.serious_score}); feedback rate {figures.feedback_rate_text()}"
    )
    return seconds


def main():
    args = parse_args()
    setup_django(args.database_url)
    from apps.lists.models import CreditCheck

    rng = random.Random(args.seed)
    started = time.perf_counter()
    if args.regenerate or not data_matches(args):
        generate(args)
        print(f"data generated in {time.perf_counter() - started:.0f} s")
    else:
        print("reusing the generated data (--regenerate to rebuild)")
    CreditCheck.objects.all().delete()

    n, persons = args.subjects, args.subjects // 10
    matters = ["bidding", "procurement", "fiscal_funds", "honours", "licensing", "supervision", "financing"]
    queries = pick_queries(args.checks, rng, n, persons)
    single = measure_single(args, queries, matters)
    api = None if args.no_api else measure_api(args, queries, matters)
    batch = measure_batch(args, rng, n, persons)
    figures = measure_figures()

    print("\nsummary")
    print(f"  data: {n:,} subjects, {args.entries:,} list entries, {args.records:,} penalty records")
    print(
        f"  single check (service): median {single['median']:.2f} ms, p99 {single['p99']:.2f} ms (target p99 ≤ 30 ms)"
    )
    if api:
        print(f"  single check (API):     median {api['median']:.2f} ms, p99 {api['p99']:.2f} ms")
    print(f"  batch of {args.batch:,}: {batch:.2f} s (target ≤ 10 s)")
    print(f"  figures page data: {figures * 1000:.0f} ms")


if __name__ == "__main__":
    main()

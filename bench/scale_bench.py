"""Scale benchmark: the platform at 1 M, 10 M, 30 M records — what grows with N and what stays flat (issue 19 item 4).

    .venv/bin/python bench/scale_bench.py --database-url postgres://postgres@127.0.0.1:5432/credit_scale_a \\
        --sizes 1000000,10000000            # grow to each size in turn, measure at each
    .venv/bin/python bench/scale_bench.py --sizes 10000000 --generate-only
    .venv/bin/python bench/scale_bench.py --sizes 10000000 --parts profile,search,check   # reuse, measure some

The database is created and migrated if missing, and seeded like a county (``seed_demo``: the 29
departments, their powers, the list recognisers, demo accounts). Then it **grows** to each size in
``--sizes``, in SQL, never rebuilt from zero: a 10 M run reuses the 1 M one. Per step (``grow``):

* subjects up to N/3 (60 % organisations ``91…``, 30 % 个体工商户 ``92…``, 10 % natural persons with real
  keyed ID-number hashes and encrypted numbers, computed in Python and ``COPY``ed), by
  ``INSERT … SELECT generate_series`` with explicit ids (``SUBJECT_BASE + k``), names from the demo
  word lists;
* records up to N, in chunks of ``--chunk`` (one transaction each, resumable): 35 % 行政处罚, 64 % 行政许可,
  1 % 红黑名单认定 (with their ``lists_listentry`` rows), from the departments holding that power;
  decision dates 2014-01-01 … today with density growing linearly in time (the last year holds ~15 %);
  ``data`` / ``private_data`` JSON as the intake stores them (national field codes, masked ID numbers,
  encrypted ones aside), ``content_hash``, publicity windows by type and severity, status ``expired``
  where the window has passed (with the ``expire`` history row the nightly job writes), ~1.5 % of
  penalties repaired; report deadlines from the platform's own policies and working-day calendar
  (``PolicyCache`` + ``DeadlineTable``), so the nightly recomputation finds nothing to change;
  submission batches per department, type and month (合规率);
* the side tables the app keeps: the name-search table ``portal_subject_name`` through the app's own
  refresh (``name_index_refresh``), and the first nightly evaluation (``evaluation_subjectgrade``).

Secondary indexes, unique and foreign-key constraints of the big tables are dropped for the load and
rebuilt after it (``benchlib.deferred_indexes``; the statements are kept in ``bench_scale_meta``, so an
interrupted run rebuilds them on the next start).

Measured at each size (``--parts``; medians of ``--repeat``, p50/p95 where it is a request, server time
in process, warm cache): a 100 k-row CSV import on top (``import_bench``'s file and worker, the rows removed
after each run), the public profile, the public name search, credit checks (single and a batch of 100),
the nightly jobs (withdrawal at the end of publicity and list expiry for tomorrow — rolled back —,
deadline/on-time recomputation, evaluation), the monthly ranking, and disk (``pg_total_relation_size`` of
every table and partition, ``pg_database_size``). Where ``records_record`` is partitioned, the partitions'
sizes and a per-partition scan are printed too. Results are appended to ``var/bench/scale-results.json``.

Never run as a test; it prints its figures.
"""

import argparse
import datetime
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import import_bench
from benchlib import deferred_indexes, rebuild, setup_django, step, words
from portal_bench import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/credit_scale_a"
RESULTS = ROOT / "var" / "bench" / "scale-results.json"
SUBJECT_BASE = 1_000_000  # generated subject k has id SUBJECT_BASE + k (demo subjects stay below)
FIRST_DAY = datetime.date(2014, 1, 1)
RECORD_PRIME = 104729  # record i belongs to subject 1 + (i * RECORD_PRIME) mod S
BIG_TABLES = ("records_record", "records_recordevent", "lists_listentry")
KIND_LABEL = {"legal": "法人及非法人组织", "individual_business": "个体工商户", "person": "自然人"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sizes", default="1000000", help="comma-separated record counts, grown in turn")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="records per INSERT statement / transaction")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--import-repeat", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="profiles, searches and single checks per size")
    parser.add_argument(
        "--parts",
        default="disk,import,profile,search,check,nightly,evaluation,ranking,partitions",
        help="what to measure (comma-separated)",
    )
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--seed", type=int, default=20261207)
    return parser.parse_args()


# --- the bench's own bookkeeping ------------------------------------------------------------------


def meta_get(cur, key, default=None):
    cur.execute("CREATE TABLE IF NOT EXISTS bench_scale_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
    cur.execute("SELECT value FROM bench_scale_meta WHERE key = %s", [key])
    row = cur.fetchone()
    if row is None:
        return default
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]  # Django's cursor leaves jsonb as text


def meta_set(cur, key, value):
    cur.execute(
        "INSERT INTO bench_scale_meta (key, value) VALUES (%s, %s::jsonb) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [key, json.dumps(value)],
    )


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


# --- data -----------------------------------------------------------------------------------------


def seed_county():
    """Departments, powers, list recognisers and demo accounts, as ``bin/dev`` has them (idempotent)."""
    from django.core.management import call_command

    from apps.accounts.models import Department

    if not Department.objects.filter(code="scjgj").exists():
        with step("seed_demo (departments, powers, recognisers, 3,000 demo subjects)"):
            call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


def person_id_number(p: int) -> str:
    """The p-th generated person's ID number: unique for p < 20,000,000, valid check digit."""
    from stdnum.cn import ric

    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=p % 20000)
    first17 = f"371083{birth:%Y%m%d}{p // 20000 % 1000:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def org_uscc(k: int) -> str:
    return f"{'92' if k % 10 >= 7 else '91'}371083{k:09d}X"


def deadlines_table(cur):
    """(record type, decision date) → report deadline and calendar, by the platform's own policies and
    working-day calendar, for every day since FIRST_DAY: the generated rows hold what the nightly
    recomputation would compute, so it finds nothing to change (its steady state)."""
    from apps.catalog.choices import PolicyKey
    from apps.catalog.models import RecordType
    from apps.records.policy import PolicyCache, PolicyMissing
    from apps.workdays.services import DeadlineTable

    cur.execute("SELECT to_regclass('bench_scale_deadlines') IS NOT NULL")
    if cur.fetchone()[0]:
        cur.execute("SELECT max(decision_date) FROM bench_scale_deadlines")
        if cur.fetchone()[0] == today():
            return
        cur.execute("DROP TABLE bench_scale_deadlines")
    last = today()
    table = DeadlineTable(first=FIRST_DAY, last=last + datetime.timedelta(days=120))
    rows = []
    for record_type in RecordType.objects.filter(code__in=["penalty", "license", "list_entry"]):
        policies = PolicyCache(record_type)
        day = FIRST_DAY
        while day <= last:
            try:
                days = int(policies.get(PolicyKey.REPORT_DEADLINE_DAYS, day))
            except PolicyMissing:
                days = None
            if days is not None:
                result = table.add(start=day, days=days)
                rows.append((record_type.pk, day, result.deadline, result.calendar))
            day += datetime.timedelta(days=1)
    cur.execute(
        "CREATE TABLE bench_scale_deadlines (type_id bigint, decision_date date, deadline date, calendar varchar(10),"
        " PRIMARY KEY (type_id, decision_date))"
    )
    with cur.copy("COPY bench_scale_deadlines FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute("ANALYZE bench_scale_deadlines")


def grow_subjects(cur, have: int, want: int):
    """Subjects have+1 … want (k), id SUBJECT_BASE + k; every 10th a natural person."""
    from apps.subjects.pii import encrypt, id_number_hash

    w = words()
    persons = range(((have // 10) + 1) * 10, want + 1, 10)
    with step(f"{len(persons):,} persons' ID hashes and encrypted numbers (Python, COPY)"):
        cur.execute(
            "CREATE TEMP TABLE bench_persons (k bigint PRIMARY KEY, hash varchar(64), masked varchar(18), enc text)"
        )
        with cur.copy("COPY bench_persons FROM STDIN") as copy:
            for k in persons:
                number = person_id_number(k // 10)
                copy.write_row((k, id_number_hash(number), number[:6] + "*" * 8 + number[14:], encrypt(number)))
        cur.execute("ANALYZE bench_persons")
    with step(f"subjects {have + 1:,}–{want:,} (INSERT … SELECT generate_series)"):
        cur.execute(
            """
            INSERT INTO subjects_subject (id, kind, name, uscc, code_valid, code_warnings, registration_number,
                organization_code, tax_number, institution_number, social_org_number, legal_representative,
                region_code, public_body, status, id_number_hash, id_number_masked, id_number_encrypted,
                created_at, updated_at)
            OVERRIDING SYSTEM VALUE
            SELECT %(base)s + k,
                   CASE WHEN k %% 10 = 0 THEN 'person' WHEN k %% 10 < 7 THEN 'legal' ELSE 'individual_business' END,
                   CASE WHEN k %% 10 = 0 THEN
                            (%(surnames)s::text[])[1 + (k * 7919) %% cardinality(%(surnames)s::text[])]
                            || (%(given)s::text[])[1 + (k * 104729) %% cardinality(%(given)s::text[])]
                            || CASE WHEN k %% 3 = 0 THEN (%(given)s::text[])[1 + (k * 1299709) %% cardinality(%(given)s::text[])] ELSE '' END
                        WHEN k %% 10 < 7 THEN
                            (%(prefixes)s::text[])[1 + (k * 31) %% cardinality(%(prefixes)s::text[])]
                            || (%(first)s::text[])[1 + (k * 7919) %% cardinality(%(first)s::text[])]
                            || (%(second)s::text[])[1 + (k * 104729) %% cardinality(%(second)s::text[])]
                            || (%(industries)s::text[])[1 + (k * 1299709) %% cardinality(%(industries)s::text[])]
                            || (%(forms)s::text[])[1 + (k * 15485863) %% cardinality(%(forms)s::text[])]
                        ELSE '乳山市' || (%(towns)s::text[])[1 + (k * 31) %% cardinality(%(towns)s::text[])]
                            || (%(surnames)s::text[])[1 + (k * 7919) %% cardinality(%(surnames)s::text[])]
                            || (%(first)s::text[])[1 + (k * 104729) %% cardinality(%(first)s::text[])]
                            || (%(shops)s::text[])[1 + (k * 1299709) %% cardinality(%(shops)s::text[])]
                   END,
                   CASE WHEN k %% 10 = 0 THEN ''
                        ELSE CASE WHEN k %% 10 < 7 THEN '91' ELSE '92' END || '371083' || lpad(k::text, 9, '0') || 'X' END,
                   true, '[]'::jsonb,
                   CASE WHEN k %% 10 <> 0 AND k %% 4 = 1 THEN '371083' || lpad(k::text, 9, '0') ELSE '' END,
                   '', '', '', '',
                   CASE WHEN k %% 10 = 0 THEN ''
                        ELSE (%(surnames)s::text[])[1 + (k * 15485863) %% cardinality(%(surnames)s::text[])]
                             || (%(given)s::text[])[1 + (k * 31) %% cardinality(%(given)s::text[])] END,
                   '371083', '',
                   CASE WHEN k %% 25 = 0 THEN 'cancelled' WHEN k %% 40 = 0 THEN 'revoked' ELSE 'operating' END,
                   coalesce(p.hash, ''), coalesce(p.masked, ''), coalesce(p.enc, ''),
                   now() - (k %% 3000) * interval '1 day', now() - (k %% 3000) * interval '1 day'
            FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS k
            LEFT JOIN bench_persons p USING (k)
            """,
            {**w, "base": SUBJECT_BASE, "start": have + 1, "stop": want},
        )
        cur.execute("DROP TABLE bench_persons")


def power_departments(power: str) -> list[tuple[int, str, str]]:
    from apps.accounts.models import Department

    # Not the benchmarks' own departments: import_bench's rows are removed by department after each import.
    return list(
        Department.objects.filter(powers__code=power, is_active=True)
        .exclude(code__startswith="bench")
        .order_by("pk")
        .values_list("pk", "name", "uscc")
    )


def list_recognitions() -> list[tuple[int, int, str]]:
    """(list type, recognising department, list type name) for every recogniser the county has."""
    from apps.lists.models import ListType

    pairs = []
    for list_type in ListType.objects.filter(is_active=True).prefetch_related("recognisers").order_by("pk"):
        pairs += [
            (list_type.pk, d.pk, list_type.name)
            for d in list_type.recognisers.exclude(code__startswith="bench").order_by("pk")
        ]
    return pairs


RECORDS_SQL = """
WITH g AS (
    SELECT i,
           CASE WHEN i %% 100 = 0 THEN 'list' WHEN i %% 100 <= 35 THEN 'penalty' ELSE 'license' END AS kind,
           %(first_day)s::date + floor(%(span)s * sqrt(((i * 2654435761) %% 1000003)::float8 / 1000003))::int AS decided,
           %(base)s + 1 + (i * %(prime)s) %% %(subjects)s AS subject_id
    FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS i
), h AS (
    SELECT g.*, s.name AS sname, s.kind AS skind, s.uscc, s.id_number_masked AS masked, s.id_number_encrypted AS enc,
           s.legal_representative AS rep,
           CASE g.kind WHEN 'penalty' THEN (%(pen_ids)s::bigint[])[1 + g.i %% cardinality(%(pen_ids)s::bigint[])]
                       WHEN 'license' THEN (%(lic_ids)s::bigint[])[1 + g.i %% cardinality(%(lic_ids)s::bigint[])]
                       ELSE (%(list_depts)s::bigint[])[1 + (g.i / 100) %% cardinality(%(list_depts)s::bigint[])] END
               AS dept_id,
           (%(list_names)s::text[])[1 + (g.i / 100) %% cardinality(%(list_names)s::text[])] AS list_name,
           g.decided + (g.i %% 11)::int AS reported_on,
           CASE WHEN g.kind = 'penalty' AND g.i %% 20 = 3 THEN 'serious' ELSE 'general' END AS severity,
           CASE g.kind WHEN 'penalty' THEN %(penalty)s WHEN 'license' THEN %(license)s ELSE %(list_entry)s END AS type_id,
           ((g.i * 7919) %% 4999 + 1) * 100 AS fine
    FROM g JOIN subjects_subject s ON s.id = g.subject_id
), r AS (
    SELECT h.*, d.name AS dname, d.uscc AS duscc, extract(year FROM h.decided)::int AS year,
           CASE WHEN h.kind = 'penalty' THEN h.decided + CASE WHEN h.severity = 'serious' THEN 1095 ELSE 365 END
                WHEN h.kind = 'license' THEN (h.decided + interval '3 years')::date END AS pub_end,
           dl.deadline, dl.calendar,
           (h.reported_on + time '09:30') AT TIME ZONE 'Asia/Shanghai' AS reported_at
    FROM h JOIN accounts_department d ON d.id = h.dept_id
    LEFT JOIN bench_scale_deadlines dl ON dl.type_id = h.type_id AND dl.decision_date = h.decided
), ins AS (
    INSERT INTO records_record (catalog_version, data, private_data, subject_name, subject_kind, subject_code,
        decision_number, decision_date, valid_to, severity, status, report_deadline, deadline_calendar, reported_at,
        timely, is_publicised, publicity_start, publicity_min_end, publicity_end, under_repair, repaired,
        under_objection, source, content_hash, created_at, updated_at, department_id, record_type_id, subject_id,
        severity_source, published_at, created_by_label)
    SELECT 1,
           jsonb_strip_nulls(CASE r.kind
               WHEN 'penalty' THEN jsonb_build_object(
                   'CF_WSH', '乳市罚〔' || r.year || '〕' || r.i || '号', 'CF_XDR_MC', r.sname, 'CF_XDR_LB', %(kind_labels)s::jsonb ->> r.skind,
                   'CF_XDR_SHXYM', nullif(r.uscc, ''), 'CF_FRDB', nullif(r.rep, ''),
                   'CF_XDR_ZJLX', CASE WHEN r.skind = 'person' THEN '身份证' END, 'CF_XDR_ZJHM', nullif(r.masked, ''),
                   'CF_WFXW', (%(offences)s::text[])[1 + r.i %% cardinality(%(offences)s::text[])],
                   'CF_SY', '经查，当事人的上述行为违反了相关法律法规的规定，事实清楚，证据确凿。',
                   'CF_YJ', '依据相关法律法规的规定', 'CF_CFLB', jsonb_build_array('罚款'),
                   'CF_NR', '罚款人民币' || r.fine || '元。', 'CF_NR_FK', round(r.fine / 10000.0, 4)::text,
                   'CF_JDRQ', r.decided::text, 'CF_CFJG', r.dname, 'CF_CFJGDM', r.duscc,
                   'CF_SJLY', r.dname, 'CF_SJLYDM', r.duscc)
               WHEN 'license' THEN jsonb_build_object(
                   'XK_WSH', '乳许〔' || r.year || '〕' || r.i || '号', 'XK_XDR_MC', r.sname, 'XK_XDR_LB', %(kind_labels)s::jsonb ->> r.skind,
                   'XK_XDR_SHXYM', nullif(r.uscc, ''), 'XK_FRDB', nullif(r.rep, ''),
                   'XK_XDR_ZJLX', CASE WHEN r.skind = 'person' THEN '身份证' END, 'XK_XDR_ZJHM', nullif(r.masked, ''),
                   'XK_XKWS', (%(permits)s::text[])[1 + r.i %% cardinality(%(permits)s::text[])] || '准予许可决定书',
                   'XK_XKZS', (%(permits)s::text[])[1 + r.i %% cardinality(%(permits)s::text[])],
                   'XK_XKBH', '许' || to_char(r.decided, 'YYYYMMDD') || lpad((r.i %% 10000)::text, 4, '0'),
                   'XK_XKLB', '普通', 'XK_NR', '准予许可', 'XK_JDRQ', r.decided::text,
                   'XK_YXQZ', r.decided::text, 'XK_YXQZI', (r.decided + interval '5 years')::date::text,
                   'XK_XKJG', r.dname, 'XK_XKJGDM', r.duscc, 'XK_LYDW', r.dname, 'XK_LYDWDM', r.duscc, 'XK_ZT', '有效')
               ELSE jsonb_build_object(
                   'MD_RDWSH', '乳信认〔' || r.year || '〕' || r.i || '号', 'MD_XDR_MC', r.sname,
                   'MD_XDR_LB', %(kind_labels)s::jsonb ->> r.skind, 'MD_XDR_SHXYM', nullif(r.uscc, ''),
                   'MD_FRDB', nullif(r.rep, ''), 'MD_MDLX', r.list_name, 'MD_LRSY', '未按规定履行法定义务',
                   'MD_RDYJ', '依据相关名单管理办法认定', 'MD_RDRQ', r.decided::text, 'MD_JG', r.dname,
                   'MD_JGDM', r.duscc, 'MD_SJLY', r.dname, 'MD_SJLYDM', r.duscc)
           END),
           CASE WHEN r.skind = 'person' AND r.kind <> 'list'
                THEN jsonb_build_object(CASE r.kind WHEN 'penalty' THEN 'CF_XDR_ZJHM' ELSE 'XK_XDR_ZJHM' END, r.enc)
                ELSE '{}'::jsonb END,
           r.sname, %(kind_labels)s::jsonb ->> r.skind, CASE WHEN r.uscc <> '' THEN r.uscc ELSE r.masked END,
           CASE r.kind WHEN 'penalty' THEN '乳市罚〔' WHEN 'license' THEN '乳许〔' ELSE '乳信认〔' END
               || r.year || '〕' || r.i || '号',
           r.decided, CASE WHEN r.kind = 'license' THEN (r.decided + interval '5 years')::date END, r.severity,
           CASE WHEN r.pub_end < %(today)s THEN 'expired' ELSE 'published' END,
           r.deadline, coalesce(r.calendar, ''), r.reported_at,
           CASE WHEN r.deadline IS NULL THEN NULL ELSE r.reported_on <= r.deadline END,
           true, r.reported_on,
           CASE WHEN r.kind = 'penalty' THEN r.reported_on + CASE WHEN r.severity = 'serious' THEN 365 ELSE 90 END END,
           r.pub_end,
           r.kind = 'penalty' AND r.i %% 331 = 0, r.kind = 'penalty' AND r.i %% 67 = 0, false,
           CASE r.i %% 10 WHEN 0 THEN 'form' WHEN 1 THEN 'api' WHEN 2 THEN 'api' ELSE 'upload' END,
           encode(sha256(convert_to('bench-' || r.i, 'UTF8')), 'hex'), r.reported_at, r.reported_at,
           r.dept_id, r.type_id, r.subject_id, 'derived', r.reported_at,
           CASE r.i %% 10 WHEN 0 THEN '网页填报' WHEN 1 THEN '数据接口' WHEN 2 THEN '数据接口' ELSE '文件上传' END
    FROM r
    RETURNING id, status, publicity_end, record_type_id, department_id, subject_id, decision_date, reported_at,
              data ->> 'MD_MDLX' AS list_name, data ->> 'MD_FRDB' AS rep
), events AS (
    INSERT INTO records_recordevent (action, actor_label, reason, before, after, at, record_id)
    SELECT 'expire', '系统（公示期满自动撤下）',
           '公示截止日 ' || to_char(ins.publicity_end, 'YYYY-MM-DD') || ' 已过，自动撤下公示（记录在平台内保留）',
           '{"status": "published"}'::jsonb, '{"status": "expired"}'::jsonb,
           (ins.publicity_end + 1 + time '00:10') AT TIME ZONE 'Asia/Shanghai', ins.id
    FROM ins WHERE ins.status = 'expired'
    RETURNING 1
), entries AS (
    INSERT INTO lists_listentry (recognised_on, valid_until, legal_representative, state, removed_on, removal_reason,
        created_at, updated_at, department_id, record_id, subject_id, list_type_id, legal_rep_id_hash)
    SELECT ins.decision_date, v.until, coalesce(ins.rep, ''),
           CASE WHEN v.until < %(today)s THEN 'removed' ELSE 'listed' END,
           CASE WHEN v.until < %(today)s THEN v.until + 1 END,
           CASE WHEN v.until < %(today)s THEN '有效期届满自动移出' ELSE '' END,
           ins.reported_at, ins.reported_at, ins.department_id, ins.id, ins.subject_id, lt.id, ''
    FROM ins JOIN lists_listtype lt ON lt.name = ins.list_name
    CROSS JOIN LATERAL (SELECT (ins.decision_date + CASE WHEN lt.color = 'black' THEN interval '3 years'
                                                        ELSE interval '1 year' END)::date AS until) v
    WHERE ins.record_type_id = %(list_entry)s
    RETURNING 1
), batches AS (
    INSERT INTO records_submissionbatch (key, month, source, rows, compliant, accepted, updated, duplicates, rejected,
        created_at, updated_at, department_id, record_type_id)
    SELECT md5('bench-scale-' || m.department_id || '-' || m.record_type_id || '-' || m.month)::uuid, m.month, 'upload',
           m.n, m.n - m.n / 50, m.n, 0, 0, 0, now(), now(), m.department_id, m.record_type_id
    FROM (SELECT department_id, record_type_id,
                 date_trunc('month', reported_at AT TIME ZONE 'Asia/Shanghai')::date AS month, count(*)::int AS n
          FROM ins GROUP BY 1, 2, 3) m
    ON CONFLICT (key, month) DO UPDATE SET rows = records_submissionbatch.rows + EXCLUDED.rows,
        compliant = records_submissionbatch.compliant + EXCLUDED.compliant,
        accepted = records_submissionbatch.accepted + EXCLUDED.accepted
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM events), (SELECT count(*) FROM entries),
       (SELECT count(*) FROM batches)
"""

OFFENCES = ["未按规定明码标价", "销售不合格产品", "无证经营", "虚假宣传", "未按规定公示年度报告", "超范围经营",
            "未按规定办理变更登记", "违法排放污染物", "安全生产隐患未整改", "超限超载运输"]  # fmt: skip
PERMITS = ["食品经营许可证", "建设工程规划许可证", "道路运输经营许可证", "排污许可证", "取水许可证",
           "危险化学品经营许可证", "卫生许可证", "药品经营许可证"]  # fmt: skip


def grow_records(cur, have: int, want: int, subjects: int, chunk: int, on_chunk):
    from apps.catalog.models import RecordType

    types = dict(RecordType.objects.filter(code__in=["penalty", "license", "list_entry"]).values_list("code", "pk"))
    recognitions = list_recognitions()
    params = {
        "first_day": FIRST_DAY.isoformat(),
        "span": (today() - FIRST_DAY).days,
        "base": SUBJECT_BASE,
        "prime": RECORD_PRIME,
        "subjects": subjects,
        "pen_ids": [d for d, _, _ in power_departments("penalty")],
        "lic_ids": [d for d, _, _ in power_departments("license")],
        "list_depts": [d for _, d, _ in recognitions],
        "list_names": [name for _, _, name in recognitions],
        "penalty": types["penalty"],
        "license": types["license"],
        "list_entry": types["list_entry"],
        "kind_labels": json.dumps(KIND_LABEL, ensure_ascii=False),
        "offences": OFFENCES,
        "permits": PERMITS,
        "today": today(),
    }
    done = have
    while done < want:
        stop = min(done + chunk, want)
        with step(f"records {done + 1:,}–{stop:,} (+ expire events, list entries, submission batches)") as t:
            cur.execute(RECORDS_SQL, {**params, "start": done + 1, "stop": stop})
            counts = cur.fetchone()
        print(
            f"    {counts[0]:,} records, {counts[1]:,} events, {counts[2]:,} entries — {counts[0] / t.seconds:,.0f}/s"
        )
        done = stop
        on_chunk(done)


def grow(url: str, want: int, chunk: int):
    """Grow the database to ``want`` generated records (and want/3 subjects); resumable."""
    import psycopg

    from apps.records.partitions import ensure_partitions, is_partitioned
    from apps.subjects.name_index import name_index_refresh

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=False) as conn, conn.cursor() as cur:
        have_records = meta_get(cur, "records", 0)
        have_subjects = meta_get(cur, "subjects", 0)
        pending = meta_get(cur, "rebuild", [])
        conn.commit()
        want_subjects = want // 3
        if have_records >= want and not pending:
            print(f"database holds {have_records:,} generated records: reused")
            return None
        print(f"growing {have_records:,} → {want:,} records, {have_subjects:,} → {want_subjects:,} subjects")
        deadlines_table(cur)
        conn.commit()
        if not pending:
            with step("drop secondary indexes and constraints of subjects, records, events, list entries"):
                for table in ("subjects_subject", *BIG_TABLES):
                    pending += deferred_indexes(cur, table)
                meta_set(cur, "rebuild", pending)
                conn.commit()
        if have_subjects < want_subjects:
            grow_subjects(cur, have_subjects, want_subjects)
            meta_set(cur, "subjects", want_subjects)
            conn.commit()
            have_subjects = want_subjects

        def on_chunk(done):
            meta_set(cur, "records", done)
            conn.commit()  # one transaction per chunk: an interrupted run resumes at the next

        grow_records(cur, have_records, want, have_subjects, chunk, on_chunk)
        if is_partitioned():
            # Years with no partition yet landed in DEFAULT: the app's own daily task moves each into a
            # partition of its own, as after any backfill (docs/partitioning.md); cheaper before the rebuild.
            with step("ensure_partitions (records_partitions_ensure)"):
                made = ensure_partitions(today=today())
            print(f"    made {len(made)} partitions")
        with step(f"rebuild {len(pending)} indexes and constraints"):
            rebuild(cur, pending)
            meta_set(cur, "rebuild", [])
            conn.commit()
        cur.execute("SELECT setval(pg_get_serial_sequence('subjects_subject', 'id'), max(id)) FROM subjects_subject")
        conn.commit()
    # The name-search side table through the app's own refresh; its GIN indexes built once after it.
    from django.db import connection

    with connection.cursor() as cur:
        # The GIN indexes live on the two partitions (portal migration 0004), one per side.
        statements = [
            *deferred_indexes(cur, "portal_subject_name_org"),
            *deferred_indexes(cur, "portal_subject_name_person"),
        ]
        with step("name_index_refresh (the app's own refresh of portal_subject_name)") as t:
            indexed = name_index_refresh()
        print(f"    {indexed:,} names, {indexed / t.seconds:,.0f}/s")
        with step(f"rebuild {len(statements)} GIN indexes of portal_subject_name"):
            rebuild(cur, statements)
    conn = psycopg.connect(url, autocommit=True)
    with step("VACUUM ANALYZE"), conn:
        for table in (
            "subjects_subject",
            *BIG_TABLES,
            "portal_subject_name",
            "portal_subject_name_pending",
            "records_submissionbatch",
        ):
            conn.execute(f"VACUUM ANALYZE {table}")
    seconds = time.perf_counter() - started
    print(f"grown to {want:,} records in {seconds:.0f} s")
    return seconds


# --- measuring ------------------------------------------------------------------------------------


def pct(samples, p):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))]


def request_figures(label: str, timing: tuple[list[float], float]) -> dict:
    samples_ms, cpu_ms = timing
    figures = {"p50": statistics.median(samples_ms), "p95": pct(samples_ms, 95), "n": len(samples_ms), "cpu_ms": cpu_ms}
    print(
        f"  {label}: n={figures['n']}  p50 {figures['p50']:.1f} ms  p95 {figures['p95']:.1f} ms  "
        f"CPU {cpu_ms:.1f} ms per request",
        flush=True,
    )
    return figures


def timed_ms(fn, items) -> tuple[list[float], float]:
    """Wall-clock ms of each call, and the mean CPU ms per call (this process + its backend)."""
    times = []
    cpu_before = cpu_now()
    for item in items:
        started = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - started) * 1000)
    return times, (cpu_now() - cpu_before) * 1000 / max(len(items), 1)


def cpu_now() -> float:
    """CPU seconds used so far by this process and its PostgreSQL backend (same machine): a figure that holds
    when other work shares the two cores, which wall-clock time does not. (Parallel query workers not counted.)"""
    from django.db import connection

    connection.ensure_connection()
    own = resource.getrusage(resource.RUSAGE_SELF)
    backend = connection.connection.info.backend_pid
    return own.ru_utime + own.ru_stime + cpu_seconds([backend])


def job_figures(label: str, fn, repeat: int) -> dict:
    """Median seconds (wall clock and CPU) of ``repeat`` runs of ``fn`` (which returns what it touched)."""
    seconds, cpu, touched = [], [], None
    for _ in range(repeat):
        cpu_before, started = cpu_now(), time.perf_counter()
        touched = fn()
        seconds.append(time.perf_counter() - started)
        cpu.append(cpu_now() - cpu_before)
    figures = {
        "median_s": statistics.median(seconds),
        "cpu_s": statistics.median(cpu),
        "runs": repeat,
        "touched": touched,
    }
    spread = f" (min {min(seconds):.2f}, max {max(seconds):.2f})" if repeat > 1 else ""
    print(
        f"  {label}: median {figures['median_s']:.2f} s of {repeat}{spread}, CPU {figures['cpu_s']:.2f} s; {touched}",
        flush=True,
    )
    return figures


def generated_subjects(cur) -> int:
    return meta_get(cur, "subjects", 0)


def measure_disk(cur) -> dict:
    """Bytes per table (heap + TOAST + indexes; a partitioned table summed over its partitions)."""
    cur.execute(
        """
        WITH parts AS (
            SELECT c.oid AS top, c.relname, coalesce(t.relid, c.oid) AS relid
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN LATERAL pg_partition_tree(c.oid) t ON c.relkind = 'p'
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        )
        SELECT p.relname, sum(pg_total_relation_size(p.relid)), sum(pg_indexes_size(p.relid)),
               sum(greatest(c.reltuples, 0)) FILTER (WHERE c.relkind = 'r')
        FROM parts p JOIN pg_class c ON c.oid = p.relid
        GROUP BY p.relname ORDER BY 2 DESC LIMIT 12
        """
    )
    tables = {
        name: {"bytes": int(total), "index_bytes": int(idx), "rows": int(rows or 0)} for name, total, idx, rows in cur
    }
    cur.execute("SELECT pg_database_size(current_database())")
    database = cur.fetchone()[0]
    print("  disk (heap + TOAST + indexes):")
    for name, t in tables.items():
        print(
            f"    {name:<30} {t['bytes'] / 2**30:8.2f} GiB  (indexes {t['index_bytes'] / 2**30:6.2f})  ~{t['rows']:,} rows"
        )
    print(f"    database                       {database / 2**30:8.2f} GiB")
    return {"tables": tables, "database_bytes": database}


def measure_partitions(cur, repeat: int) -> dict | None:
    """Where records_record is partitioned: each partition's size and a full scan of one partition
    (a count with its range in the WHERE clause, pruned) against the same over the whole table."""
    cur.execute("SELECT relkind FROM pg_class WHERE oid = 'records_record'::regclass")
    if cur.fetchone()[0] != "p":
        print("  records_record is not partitioned: no per-partition figures")
        return None
    cur.execute(
        """
        SELECT t.relid::regclass::text, pg_get_expr(c.relpartbound, c.oid), pg_total_relation_size(t.relid), c.reltuples
        FROM pg_partition_tree('records_record') t JOIN pg_class c ON c.oid = t.relid
        WHERE t.isleaf ORDER BY 1
        """
    )
    partitions = [{"name": n, "bound": b, "bytes": int(s), "rows": int(r)} for n, b, s, r in cur.fetchall()]
    for p in partitions:
        print(f"    {p['name']:<32} {p['bound']:<60} {p['bytes'] / 2**30:6.2f} GiB ~{p['rows']:,} rows")
    year = today().year - 1
    start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)

    def scan(where, params):
        def run():
            cur.execute(f"SELECT count(*) FROM records_record WHERE status = 'published' {where}", params)  # noqa: S608 — a constant clause
            return cur.fetchone()[0]

        return run

    one = job_figures(
        f"count published in {year} (one partition, pruned)",
        scan("AND decision_date >= %s AND decision_date < %s", [start, end]),
        repeat,
    )
    whole = job_figures("count published (every partition)", scan("", []), repeat)
    cur.execute(
        "EXPLAIN SELECT count(*) FROM records_record WHERE decision_date >= %s AND decision_date < %s", [start, end]
    )
    plan = [row[0] for row in cur.fetchall()]
    touched = sum(1 for line in plan if "records_record_" in line and "Scan" in line)
    print(f"    plan of the {year} count scans {touched} partition(s)")
    # The nightly withdrawal as lifecycle runs it, one partition at a time (its own transaction each):
    # each partition's share of a night, rolled back so every run sees the same rows.
    from apps.records import lifecycle
    from apps.records.partitions import record_partitions

    tomorrow = today() + datetime.timedelta(days=1)
    per_partition = {}
    for partition in record_partitions():
        figures = job_figures(
            f"records_expire in {partition.name} for tomorrow (rolled back)",
            rolled_back(lambda partition=partition: lifecycle._expire_in(partition, tomorrow)),
            min(repeat, 3),
        )
        per_partition[partition.name] = figures
    return {
        "partitions": partitions,
        "one_year": one,
        "whole": whole,
        "plan_partitions": touched,
        "expire_per_partition": per_partition,
    }


def measure_import(args, url: str) -> dict:
    """import_bench's 100 k-row CSV through import_records in a fresh process, its rows removed after each run."""
    from django.db import connection

    from apps.subjects.models import Subject
    from apps.subjects.name_index import name_index_refresh

    import_bench.ensure_department()
    csv_path, _ = import_bench.data_files(args.import_rows, xlsx=False)
    seconds, refresh, steps, summary = [], [], [], None
    for _ in range(args.import_repeat):
        before = Subject.objects.order_by("-pk").values_list("pk", flat=True).first()
        result = import_bench.run_worker(url, "import", csv_path)  # the worker removes the previous run's rows
        seconds.append(result["seconds"])
        steps, summary = result["steps"], result["summary"]
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM subjects_subject WHERE id > %s", [before])
            new_subjects = cur.fetchone()[0]
        # What an upload's task does right after its import (and beat every minute): until then the public
        # search scans the queue of new subjects (~1 s a search with 85 k queued at 1 M records).
        started = time.perf_counter()
        name_index_refresh()
        refresh.append(time.perf_counter() - started)
        print(
            f"  CSV import of {args.import_rows:,} rows: {result['seconds']:.1f} s "
            f"({args.import_rows / result['seconds']:,.0f} rows/s), {new_subjects:,} new subjects, {summary}; "
            f"name index refresh after it {refresh[-1]:.1f} s",
            flush=True,
        )
    import_bench.wipe(import_bench.DEPARTMENT["code"])
    median = statistics.median(seconds)
    for line in steps:
        print(f"    staged path (last run): {line}")
    return {
        "median_s": median,
        "runs": len(seconds),
        "rows_per_s": args.import_rows / median,
        "name_refresh_s": statistics.median(refresh),
        "steps": steps,
    }


def measure_profile(args, rng, subjects: int) -> dict:
    from django.test import Client

    from apps.portal.selectors import subject_profile

    ks = [k for k in (rng.randint(1, subjects) for _ in range(args.requests * 2)) if k % 10][: args.requests]
    pks = [SUBJECT_BASE + k for k in ks]
    on = today()
    for pk in pks[:10]:
        subject_profile(pk=pk, on=on)
    selector = request_figures("subject_profile (selector)", timed_ms(lambda pk: subject_profile(pk=pk, on=on), pks))
    client = Client()
    responses = []
    page = request_figures(
        "GET /profile/<pk>/ (whole Django stack)",
        timed_ms(lambda pk: responses.append(client.get(f"/profile/{pk}/").status_code), pks),
    )
    assert set(responses) == {200}, set(responses)
    return {"selector": selector, "page": page}


def measure_search(args, rng, subjects: int) -> dict:
    from django.test import Client

    from apps.portal.search import public_subject_search
    from apps.subjects.models import Subject

    # Half the requests: a fragment frequent in company names (有限, 乳山) costs seconds from 1 M records on.
    count = max(args.requests // 2, 10)
    ks = [k for k in (rng.randint(1, subjects) for _ in range(count * 2)) if k % 10][:count]
    names = dict(Subject.objects.filter(pk__in=[SUBJECT_BASE + k for k in ks]).values_list("pk", "name"))
    fragments = []
    for name in names.values():
        start = rng.randint(0, len(name) - 2)
        fragments.append(name[start : start + 2])
    on = today()
    for fragment in fragments[:10]:
        public_subject_search(query=fragment, on=on)
    selector = request_figures(
        "public_subject_search, 2-character fragments (selector)",
        timed_ms(lambda f: public_subject_search(query=f, on=on), fragments),
    )
    whole = list(names.values())
    full = request_figures(
        "public_subject_search, whole names (selector)",
        timed_ms(lambda f: public_subject_search(query=f, on=on), whole),
    )
    client = Client()
    statuses = []
    page = request_figures(
        "GET /search/?q= 2-character fragments (whole Django stack)",
        timed_ms(lambda f: statuses.append(client.get("/search/", {"q": f}).status_code), fragments),
    )
    page["statuses"] = {str(code): statuses.count(code) for code in sorted(set(statuses))}
    print(f"    answers: {page['statuses']} (503: past PUBLIC_STATEMENT_TIMEOUT_MS)")
    return {"fragment": selector, "whole_name": full, "page": page}


def check_queries(rng, subjects: int, count: int) -> list[str]:
    """Codes of random organisations (40 %), of listed subjects (20 %), persons' ID numbers (20 %), names (10 %),
    unknown codes (10 %)."""
    from apps.lists.models import ListEntry
    from apps.subjects.models import Subject

    listed = list(
        ListEntry.objects.filter(
            state="listed", subject_id__gt=SUBJECT_BASE, subject__kind__in=["legal", "individual_business"]
        ).values_list("subject_id", flat=True)[:2000]
    )
    queries = []
    for n in range(count):
        roll = n % 10
        if roll < 4 or (roll < 6 and not listed):
            k = rng.choice([k for k in (rng.randint(1, subjects) for _ in range(4)) if k % 10] or [1])
            queries.append(org_uscc(k))
        elif roll < 6:
            queries.append(org_uscc(rng.choice(listed) - SUBJECT_BASE))
        elif roll < 8:
            queries.append(person_id_number(rng.randint(1, subjects // 10)))
        elif roll < 9:
            k = rng.choice([k for k in (rng.randint(1, subjects) for _ in range(4)) if k % 10] or [1])
            queries.append(Subject.objects.values_list("name", flat=True).get(pk=SUBJECT_BASE + k))
        else:
            queries.append(f"91371083{rng.randint(900_000_000, 999_999_999)}Y")
    return queries


def measure_check(args, rng, subjects: int) -> dict:
    from apps.lists.check_files import BatchQuery
    from apps.lists.checks import credit_check_batch, credit_check_run
    from apps.lists.models import CreditCheck

    queries = check_queries(rng, subjects, args.requests)
    for query in queries[:10]:
        credit_check_run(query=query, matter="bidding", channel="api")
    found = []
    single = request_figures(
        "credit_check_run, single (service)",
        timed_ms(lambda q: found.append(credit_check_run(query=q, matter="bidding", channel="api").found), queries),
    )
    print(f"    found {sum(found)} of {len(found)}")
    # By kind of query (check_queries' order repeats every 10): which kind makes the tail.
    kinds = ["code"] * 4 + ["listed code"] * 2 + ["ID number"] * 2 + ["name", "unknown code"]
    single["by_kind"] = {}
    for kind in dict.fromkeys(kinds):
        picked = [q for n, q in enumerate(queries) if kinds[n % 10] == kind]
        single["by_kind"][kind] = request_figures(
            f"  {kind}", timed_ms(lambda q: credit_check_run(query=q, matter="bidding", channel="api"), picked)
        )
    batches = [check_queries(rng, subjects, 100) for _ in range(args.repeat)]
    batch = job_figures(
        "credit_check_batch of 100",
        lambda: sum(
            c.found
            for c in credit_check_batch(
                queries=[BatchQuery(row=n + 2, text=q) for n, q in enumerate(batches.pop())], matter="licensing"
            )
        ),
        args.repeat,
    )
    CreditCheck.objects.all().delete()
    return {"single": single, "batch100": batch}


def rolled_back(fn):
    """Run ``fn`` in a transaction and roll it back: a nightly job measured again on the same data."""
    from django.db import transaction

    def run():
        with transaction.atomic():
            result = fn()
            transaction.set_rollback(True)
        return result

    return run


def measure_nightly(args) -> dict:
    from apps.lists.services import list_entries_expire
    from apps.monitoring.tasks import RECOMPUTE_WINDOW_DAYS
    from apps.records.lifecycle import records_expire, records_recompute_deadlines

    tomorrow = today() + datetime.timedelta(days=1)
    since = today() - datetime.timedelta(days=RECOMPUTE_WINDOW_DAYS)
    return {
        "expire": job_figures(
            "records_expire for tomorrow (a night's withdrawals; rolled back)",
            rolled_back(lambda: records_expire(today=tomorrow)),
            args.repeat,
        ),
        "list_expiry": job_figures(
            "list_entries_expire for tomorrow (rolled back)",
            rolled_back(lambda: list_entries_expire(today=tomorrow)),
            args.repeat,
        ),
        "recompute": job_figures(
            f"records_recompute_deadlines, last {RECOMPUTE_WINDOW_DAYS} days (the nightly timeliness job)",
            lambda: records_recompute_deadlines(since=since).as_dict(),
            args.repeat,
        ),
    }


def measure_evaluation(args) -> dict:
    from django.db import connection

    from apps.evaluation.engine import evaluate_all
    from apps.evaluation.models import SubjectGrade

    figures = {}
    with connection.cursor() as cur:
        evaluated = meta_get(cur, "evaluated", 0)
        records = meta_get(cur, "records", 0)
    if evaluated < records:
        figures["first"] = job_figures(
            "evaluate_all, first run at this size (grades of the new subjects written)",
            lambda: {"subjects": (run := evaluate_all()).subjects, "changed": run.changed},
            1,
        )
        with connection.cursor() as cur:
            meta_set(cur, "evaluated", records)
    figures["grades"] = SubjectGrade.objects.count()
    repeat = args.repeat if args.sizes_max < 5_000_000 else 1
    figures["steady"] = job_figures(
        "evaluate_all, steady-state nightly run",
        lambda: {"subjects": (run := evaluate_all()).subjects, "changed": run.changed},
        repeat,
    )
    return figures


def measure_ranking(args) -> dict:
    from apps.monitoring.selectors import Month
    from apps.monitoring.services import ranking_build

    month = Month.current().previous
    return {
        "build": job_figures(
            f"ranking_build({month.param}) (the monthly snapshot's work)",
            lambda: len(ranking_build(month)["rows"]),
            args.repeat,
        )
    }


def measure(args, url: str, size: int, grow_seconds) -> dict:
    from django.db import connection

    parts = set(args.parts.split(","))
    rng = random.Random(args.seed + size)
    with connection.cursor() as cur:
        subjects = generated_subjects(cur)
        cur.execute("SELECT count(*) FROM records_record")
        records = cur.fetchone()[0]
        cur.execute("SELECT relkind FROM pg_class WHERE oid = 'records_record'::regclass")
        partitioned = cur.fetchone()[0] == "p"
    result = {
        "size": size,
        "records": records,
        "subjects": subjects,
        "partitioned": partitioned,
        "database": url.rsplit("/", 1)[1],
        "at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "grow_s": grow_seconds,
        "load": os.getloadavg(),
    }
    print(
        f"\n== {records:,} records, {subjects:,} generated subjects, partitioned: {partitioned}, load {result['load']}"
    )

    def part(name, fn):
        if name in parts:
            print(f"\n{name}")
            started = time.perf_counter()
            result[name] = fn()
            print(f"  ({time.perf_counter() - started:.0f} s)")
            save(result)

    # Cheapest and most asked-for first: a run cut short still has them.
    with connection.cursor() as cur:
        part("disk", lambda: measure_disk(cur))
        part("partitions", lambda: measure_partitions(cur, args.repeat))
    part("profile", lambda: measure_profile(args, rng, subjects))
    part("check", lambda: measure_check(args, rng, subjects))
    part("nightly", lambda: measure_nightly(args))
    part("ranking", lambda: measure_ranking(args))
    part("search", lambda: measure_search(args, rng, subjects))
    part("import", lambda: measure_import(args, url))
    part("evaluation", lambda: measure_evaluation(args))
    result["load_after"] = os.getloadavg()
    save(result)
    return result


def save(result: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    # A run measuring some parts only keeps the other parts of an earlier run at the same size and schema.
    key = ("database", "size", "partitioned")
    earlier = [r for r in saved if all(r.get(k) == result[k] for k in key)]
    saved = [r for r in saved if r not in earlier]
    saved.append({**(earlier[-1] if earlier else {}), **result})
    RESULTS.write_text(json.dumps(saved, indent=1, ensure_ascii=False, default=str))


def main():
    args = parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    args.sizes_max = max(sizes)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    setup_django(args.database_url, RATELIMIT_ENABLE="false")
    seed_county()
    for size in sizes:
        grown = grow(args.database_url, size, args.chunk)
        if not args.generate_only:
            measure(args, args.database_url, size, grown)


if __name__ == "__main__":
    main()

"""Nightly credit evaluation benchmark on PostgreSQL (set-based SQL path).

    .venv/bin/python bench/evaluation_bench.py --subjects 100000          # 100k subjects, 1M records
    .venv/bin/python bench/evaluation_bench.py --subjects 1000000         # 1M subjects, 10M records

Creates the database if missing (default ``credit_bench_eval``), migrates it,
generates the data set-based (``INSERT … SELECT generate_series``, one
statement per record slot so progress shows): N subjects, ``--per-subject``
records each (licences, penalties general and serious, enforcement, rewards,
inspections, self-declared), 1 % of subjects on a list (with their list_entry
records), 30 % with a commitment in various fulfilment states. Secondary
indexes of ``records_record`` are dropped for the load and rebuilt after it
(``--skip-index-rebuild`` leaves only the subject index: the evaluation
reads by sequential scan, so it does not use them).

Then times ``evaluate_all`` (the nightly task's body) twice: the first run
(every subject gets a grade and a history row) and a second, steady-state
run (the nightly case: nothing or little changed, so almost nothing is
written). Peak RSS of this process is printed before and after: the work
happens inside PostgreSQL, Python memory stays flat.

Generated data is reused when its size matches (``--regenerate`` to force).
"""

import argparse
import os
import resource
import sys
from pathlib import Path

from benchlib import setup_django, step

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/credit_bench_eval"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--per-subject", type=int, default=10)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--skip-index-rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=2)
    return parser.parse_args()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# record slot j → (record type code, severity, in publicity?)
SLOTS = [
    ("license", "general", True),
    ("license", "general", False),
    ("inspection", "general", True),
    ("penalty", "general", True),
    ("license", "general", True),
    ("contract_performance", "general", True),
    ("penalty", "serious", True),
    ("enforcement", "general", True),
    ("reward", "general", True),
    ("license", "general", False),
]


def data_matches(args) -> bool:
    from apps.records.models import Record
    from apps.subjects.models import Subject

    return (
        Subject.objects.count() == args.subjects
        and Record.objects.filter(decision_number__startswith="BENCH-R").count() == args.subjects * args.per_subject
    )


def record_indexes(cur):
    cur.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid), c.conname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " LEFT JOIN pg_constraint c ON c.conindid = i.oid"
        " WHERE x.indrelid = 'records_record'::regclass AND NOT x.indisprimary"
    )
    return cur.fetchall()


def generate(args):
    from django.db import connection

    from apps.accounts.models import Department
    from apps.catalog.models import RecordType
    from apps.commitments.models import CommitmentTemplate
    from apps.lists.models import ListType

    n = args.subjects
    print(f"generating {n:,} subjects, {n * args.per_subject:,} records, {n // 100:,} list entries, commitments")
    dept, _ = Department.objects.get_or_create(
        code="bench_eval", defaults={"name": "乳山市基准部门", "uscc": "11371083MB0000000X", "region_code": "371083"}
    )
    types = dict(RecordType.objects.values_list("code", "pk"))
    black = ListType.objects.filter(color="black").first()
    red = ListType.objects.filter(color="red").first()
    template = CommitmentTemplate.objects.order_by("pk").first()
    with connection.cursor() as cur:
        with step("truncate"):
            cur.execute(
                "TRUNCATE evaluation_gradechange, evaluation_subjectgrade, evaluation_inspectionsample,"
                " evaluation_provincialgrade, commitments_fulfilment, commitments_commitment,"
                " lists_checkfeedback, lists_creditcheck, lists_warninginterview, lists_listentry,"
                " records_recordevent, records_submission, records_record, subjects_subject RESTART IDENTITY CASCADE"
            )
        dropped = record_indexes(cur)
        with step(f"drop {len(dropped)} secondary indexes of records_record for the load"):
            for name, _definition, constraint in dropped:
                if constraint:
                    cur.execute(f'ALTER TABLE records_record DROP CONSTRAINT "{constraint}"')
                else:
                    cur.execute(f'DROP INDEX "{name}"')
        try:
            _load(cur, args, n, dept, types, black, red, template)
        finally:
            _rebuild(cur, args, dropped)
        with step("VACUUM ANALYZE"):
            for table in ("subjects_subject", "records_record", "lists_listentry", "commitments_commitment"):
                cur.execute(f"VACUUM ANALYZE {table}")


def _load(cur, args, n, dept, types, black, red, template):
    if True:
        with step(f"{n:,} subjects"):
            cur.execute(
                """
                INSERT INTO subjects_subject (kind, name, uscc, code_valid, code_warnings, registration_number,
                    organization_code, tax_number, institution_number, social_org_number, legal_representative,
                    region_code, status, id_number_hash, id_number_masked, id_number_encrypted, created_at, updated_at)
                SELECT CASE WHEN i %% 9 < 7 THEN 'legal' ELSE 'individual_business' END,
                       '乳山市基准' || i || '号商贸有限公司', '91371083' || lpad(i::text, 9, '0') || 'X', true, '[]',
                       '', '', '', '', '', '张' || (i %% 1000), '371083',
                       CASE WHEN i %% 25 = 0 THEN 'cancelled' ELSE 'operating' END, '', '', '', now(), now()
                FROM generate_series(1, %s) AS i
                """,
                [n],
            )
        for j in range(args.per_subject):
            code, severity, public = SLOTS[j % len(SLOTS)]
            with step(f"records slot {j} ({code}, {severity}) × {n:,}"):
                cur.execute(
                    """
                    INSERT INTO records_record (catalog_version, data, private_data, subject_name, subject_kind,
                        subject_code, decision_number, decision_date, severity, status, report_deadline,
                        deadline_calendar, reported_at, timely, is_publicised, publicity_start, publicity_end,
                        under_repair, repaired, under_objection, source, content_hash, created_at, updated_at,
                        department_id, record_type_id, subject_id)
                    SELECT 1,
                           jsonb_build_object('XDR_MC', s.name, 'XDR_SHXYM', s.uscc, 'WSH', 'BENCH-R' || %s || '-' || s.id,
                               'NR', '基准数据：依据有关规定作出决定，内容详见决定文书。', 'JG', '乳山市基准部门'),
                           '{}', s.name, '法人及非法人组织', s.uscc, 'BENCH-R' || %s || '-' || s.id,
                           DATE '2025-06-01' - (s.id %% 300)::int, %s,
                           -- every 7th subject's slot is unpublished (draft) or repaired, so filters matter
                           CASE WHEN (s.id + %s) %% 7 = 0 THEN 'draft' ELSE 'published' END,
                           DATE '2025-06-10', 'official', now(), true, %s,
                           CASE WHEN %s THEN DATE '2025-06-01' - (s.id %% 300)::int END,
                           CASE WHEN %s THEN DATE '2026-06-01' + (s.id %% 1000)::int END,
                           false, (s.id + %s) %% 13 = 0, false, 'command', md5(s.id::text), now(), now(),
                           %s, %s, s.id
                    FROM subjects_subject s
                    """,
                    [j, j, severity, j, public, public, public, j, dept.pk, types[code]],
                )
        with step(f"{n // 100:,} list entries (with their list_entry records)"):
            cur.execute(
                """
                INSERT INTO records_record (catalog_version, data, private_data, subject_name, subject_kind,
                    subject_code, decision_number, decision_date, severity, status, deadline_calendar, is_publicised,
                    under_repair, repaired, under_objection, source, content_hash, created_at, updated_at,
                    department_id, record_type_id, subject_id)
                SELECT 1, '{}', '{}', s.name, '法人及非法人组织', s.uscc, 'BENCH-L-' || s.id, DATE '2025-01-01',
                       'serious', 'published', 'official', true, false, false, false, 'command', md5(s.id::text),
                       now(), now(), %s, %s, s.id
                FROM subjects_subject s WHERE s.id %% 100 = 0
                """,
                [dept.pk, types["list_entry"]],
            )
            cur.execute(
                """
                INSERT INTO lists_listentry (recognised_on, valid_until, legal_representative, state, removal_reason,
                    created_at, updated_at, department_id, record_id, subject_id, list_type_id)
                SELECT DATE '2025-01-01', NULL, '', 'listed', '', now(), now(), r.department_id, r.id, r.subject_id,
                       CASE WHEN r.subject_id %% 300 = 0 THEN %s ELSE %s END
                FROM records_record r WHERE r.record_type_id = %s
                """,
                [red.pk, black.pk, types["list_entry"]],
            )
        with step(f"{int(n * 0.3):,} commitments"):
            cur.execute(
                """
                INSERT INTO commitments_commitment (code, template_id, type, matter, subject_id, text, signed_on,
                    due_on, channel, supervising_department_id, status, fulfilment_deadline, deadline_calendar,
                    created_at)
                SELECT '371083' || to_char(DATE '2025-01-01' + (s.id / 1000000)::int, 'YYYYMMDD')
                           || lpad((s.id %% 1000000)::text, 6, '0'), %s, 'tolerance', 'bench', s.id, '基准承诺',
                       DATE '2025-01-01', DATE '2025-02-01', 'online', %s,
                       (ARRAY['signed', 'fulfilled', 'fulfilled', 'fulfilled', 'partial', 'breached'])[1 + s.id %% 6],
                       DATE '2025-02-12', 'official', now()
                FROM subjects_subject s WHERE s.id %% 10 < 3
                """,
                [template.pk, dept.pk],
            )


def _rebuild(cur, args, dropped):
    with step("rebuild the subject index of records_record"):
        for _name, definition, _constraint in dropped:
            if "(subject_id)" in definition:
                cur.execute(definition)
    if not args.skip_index_rebuild:
        with step(f"rebuild the other {len(dropped) - 1} indexes"):
            for _name, definition, constraint in dropped:
                if "(subject_id)" in definition:
                    continue
                if constraint:
                    cols = definition[definition.index("(") :]
                    cur.execute(f'ALTER TABLE records_record ADD CONSTRAINT "{constraint}" UNIQUE {cols}')
                else:
                    cur.execute(definition)


def main():
    args = parse_args()
    setup_django(args.database_url)
    from django.db import connection

    from apps.evaluation.engine import evaluate_all
    from apps.evaluation.models import GradeChange, SubjectGrade

    if args.regenerate or not data_matches(args):
        generate(args)
    else:
        print("reusing generated data")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('records_record')), count(*) FROM records_record")
        size, records = cur.fetchone()
        cur.execute("TRUNCATE evaluation_gradechange, evaluation_subjectgrade")
    print(f"\n{args.subjects:,} subjects, {records:,} records ({size}); peak RSS before: {rss_mb():.0f} MB")
    figures = []
    for i in range(args.runs):
        label = "first run (all grades new)" if i == 0 else "steady-state nightly run"
        with step(f"evaluate_all, {label}") as t:
            run = evaluate_all()
        figures.append((label, t.seconds, run.subjects, run.changed))
        print(f"    subjects {run.subjects:,}, grade changes written {run.changed:,}, peak RSS {rss_mb():.0f} MB")
    dist = dict(
        SubjectGrade.objects.values_list("grade").annotate(c=__import__("django.db.models").db.models.Count("pk"))
    )
    print("\nRESULTS")
    for label, seconds, subjects, changed in figures:
        rate = subjects / seconds if seconds else 0
        print(f"  {label}: {seconds:.1f} s ({rate:,.0f} subjects/s), {changed:,} history rows")
    print(f"  grade distribution: {dist}; history rows total {GradeChange.objects.count():,}")
    print(f"  peak RSS of this process: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

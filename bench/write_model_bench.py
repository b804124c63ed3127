"""The lean write model's storing costs, measured by plain SQL (issue 15 item 1).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credit_bench_write python bench/write_model_bench.py [--rows 100000]

1. ``fk``: ``INSERT … SELECT`` of N records (10 transactions) with the foreign keys per row to
   department / record type (/ upload / created_by) present as deferred constraints, and without them.
2. ``subjects``: ``INSERT … SELECT`` of N subjects with the public-search bigram index as it was (GIN over
   ``portal_name_bigrams(name)``, maintained per row) against the queue trigger + side table refreshed
   after the import (``portal_subject_name_refresh()``), how long that refresh takes, and neither.

Medians of ``--repeat`` runs; the machine is shared, so quote ratios from one run.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from import_bench import ensure_department, prepare_database, setup_django  # noqa: E402


def _fk_constraints(cursor, table, columns):
    cursor.execute(
        """SELECT c.conname, a.attname, pg_get_constraintdef(c.oid) FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND a.attname = ANY(%s)""",
        [table, list(columns)],
    )
    return cursor.fetchall()


def _record_insert(cursor, dept, rtype, upload, user, start, count):
    cursor.execute(
        """INSERT INTO records_record (record_type_id, catalog_version, department_id, data, private_data, subject_id,
               subject_name, subject_kind, subject_code, decision_number, decision_date, severity, severity_source,
               status, deadline_calendar, is_publicised, under_repair, repaired, under_objection, source, upload_id,
               content_hash, created_by_id, created_by_label, created_at, updated_at)
           SELECT %s, 1, %s, jsonb_build_object('CF_WSH', 'bench' || g, 'CF_XDR_MC', '乳山市某某有限公司' || g,
                      'CF_NR', repeat('罚款人民币五千元', 8)), '{}'::jsonb, NULL,
                  '乳山市某某有限公司' || g, '法人及非法人组织', '', 'bench〔2024〕' || g || '号',
                  date '2024-09-27' - (g %% 300), 'general', 'derived', 'published', 'workdays', true, false, false,
                  false, 'upload', %s, md5(g::text), %s, '张三', now(), now()
           FROM generate_series(%s::int, %s::int) g""",
        [rtype, dept, upload, user, start, start + count - 1],
    )


def bench_fk(conn, rows, repeat, dept, rtype, upload, user):
    cursor = conn.cursor()
    chunk = rows // 10
    variants = {
        "FK per row: department, type, upload, created_by (deferred)": (),
        "no FK on department, type": ("department_id", "record_type_id"),
        "no FK on department, type, upload, created_by": (
            "department_id",
            "record_type_id",
            "upload_id",
            "created_by_id",
        ),
    }
    all_columns = ("department_id", "record_type_id", "upload_id", "created_by_id")
    saved = _fk_constraints(cursor, "records_record", all_columns)
    results = {}
    try:
        for name, dropped in variants.items():
            # Put every constraint the variant keeps in place (NOT VALID: only new rows are checked, as in use).
            for col in all_columns:
                exists = _fk_constraints(cursor, "records_record", [col])
                if col in dropped:
                    for conname, _, _ in exists:
                        cursor.execute(f'ALTER TABLE records_record DROP CONSTRAINT "{conname}"')
                elif not exists:
                    target = {
                        "department_id": "accounts_department",
                        "record_type_id": "catalog_recordtype",
                        "upload_id": "records_upload",
                        "created_by_id": "accounts_user",
                    }[col]
                    cursor.execute(
                        f"ALTER TABLE records_record ADD CONSTRAINT bench_{col}_fk FOREIGN KEY ({col})"
                        f" REFERENCES {target} (id) DEFERRABLE INITIALLY DEFERRED NOT VALID"
                    )
            conn.commit()
            times = []
            for _ in range(repeat):
                cursor.execute("TRUNCATE records_record CASCADE")  # a benchmark database: nothing else in it
                conn.commit()
                started = time.perf_counter()
                for i in range(10):
                    _record_insert(cursor, dept, rtype, upload, user, 1 + i * chunk, chunk)
                    conn.commit()
                times.append(time.perf_counter() - started)
            results[name] = statistics.median(times)
            print(f"  {name}: {rows / results[name]:,.0f} rows/s (median {results[name]:.2f}s of {repeat})")
    finally:
        conn.rollback()
        cursor.execute("TRUNCATE records_record CASCADE")
        conn.commit()
        for col in all_columns:
            for conname, _, _ in _fk_constraints(cursor, "records_record", [col]):
                cursor.execute(f'ALTER TABLE records_record DROP CONSTRAINT "{conname}"')
        for conname, _, definition in saved:  # as the schema had them
            cursor.execute(f'ALTER TABLE records_record ADD CONSTRAINT "{conname}" {definition}')
        conn.commit()
    base = results[next(iter(variants))]
    for name, seconds in results.items():
        print(f"  {name}: {base / seconds:.2f}× the speed with every FK")
    return results


def _subject_insert(cursor, start, count):
    cursor.execute(
        """INSERT INTO subjects_subject (kind, name, uscc, legal_representative, code_valid, code_warnings,
               registration_number, organization_code, tax_number, institution_number, social_org_number,
               region_code, status, id_number_hash, id_number_masked, id_number_encrypted, created_at, updated_at)
           SELECT 'legal', '乳山市' || md5(g::text) || '贸易有限公司', lpad(g::text, 18, '9'), '张三', true, '[]'::jsonb,
                  '', '', '', '', '', '371083', 'operating', '', '', '', now(), now()
           FROM generate_series(%s::int, %s::int) g""",
        [start, start + count - 1],
    )


def bench_subjects(conn, rows, repeat):
    cursor = conn.cursor()
    chunk = rows // 10
    # 0001's function as it was (SQL, generate_series + DISTINCT), for the "before" figure.
    cursor.execute(
        """CREATE OR REPLACE FUNCTION bench_old_name_bigrams(name text) RETURNS text[]
           LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
               SELECT coalesce(array_agg(DISTINCT substr(lower(name), i, 2)), '{}'::text[])
               FROM generate_series(1, char_length(name) - 1) AS i $$"""
    )
    variants = {
        "before (0001): GIN indexes over the SQL bigram function, per row": "old",
        "GIN indexes over the plpgsql bigram function (0003's), per row": "gin",
        "after: insert queues ids (trigger); side table refreshed after": "queue",
        "floor: neither (no name search index at all)": "none",
    }
    results = {}
    cursor.execute("DROP INDEX IF EXISTS bench_name_gin, bench_person_name_gin")  # an earlier run's, if it failed
    for name, mode in variants.items():
        times, refresh = [], []
        trigger = "ENABLE" if mode == "queue" else "DISABLE"
        cursor.execute(f"ALTER TABLE subjects_subject {trigger} TRIGGER portal_subject_name_inserted")
        if mode in ("gin", "old"):
            function = "portal_name_bigrams" if mode == "gin" else "bench_old_name_bigrams"
            for index, where in (("bench_name_gin", "kind <> 'person'"), ("bench_person_name_gin", "kind = 'person'")):
                cursor.execute(f"CREATE INDEX {index} ON subjects_subject USING gin ({function}(name)) WHERE {where}")
        conn.commit()
        for _ in range(repeat):
            cursor.execute("TRUNCATE subjects_subject CASCADE")  # a benchmark database: nothing else in it
            conn.commit()
            started = time.perf_counter()
            for i in range(10):
                _subject_insert(cursor, 1 + i * chunk, chunk)
                conn.commit()
            times.append(time.perf_counter() - started)
            if mode == "queue":
                started = time.perf_counter()
                cursor.execute("SELECT portal_subject_name_refresh()")
                conn.commit()
                refresh.append(time.perf_counter() - started)
        if mode in ("gin", "old"):
            cursor.execute("DROP INDEX bench_name_gin, bench_person_name_gin")
        cursor.execute("ALTER TABLE subjects_subject ENABLE TRIGGER portal_subject_name_inserted")
        conn.commit()
        results[name] = statistics.median(times)
        extra = f"; then the refresh: {statistics.median(refresh):.2f}s" if refresh else ""
        print(f"  {name}: {rows / results[name]:,.0f} rows/s (median {results[name]:.2f}s){extra}")
    cursor.execute("TRUNCATE subjects_subject CASCADE")
    cursor.execute("DROP FUNCTION bench_old_name_bigrams(text)")
    conn.commit()
    base = results[next(iter(variants))]
    for name, seconds in results.items():
        print(f"  {name}: {base / seconds:.2f}× the insert speed before")
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["fk", "subjects"])
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/credit_bench_write")
    prepare_database(url)
    setup_django(url)
    from django.core.files.base import ContentFile

    from apps.accounts.models import User
    from apps.catalog.models import RecordType
    from apps.records.models import Upload

    dept = ensure_department()
    rtype = RecordType.objects.get(code="penalty")
    user, _ = User.objects.get_or_create(username="bench_writer")
    upload = Upload.objects.filter(original_name="bench.csv").first() or Upload.objects.create(
        department=dept,
        record_type=rtype,
        original_name="bench.csv",
        sha256="0" * 64,
        created_by=user,
        file=ContentFile(b"x", name="bench.csv"),
    )
    import psycopg

    with psycopg.connect(url) as conn:
        if args.only in (None, "fk"):
            print(f"records INSERT … SELECT, {args.rows:,} rows in 10 transactions:")
            bench_fk(conn, args.rows, args.repeat, dept.pk, rtype.pk, upload.pk, user.pk)
        if args.only in (None, "subjects"):
            print(f"subjects INSERT … SELECT, {args.rows:,} rows in 10 transactions:")
            bench_subjects(conn, args.rows, args.repeat)


if __name__ == "__main__":
    main()

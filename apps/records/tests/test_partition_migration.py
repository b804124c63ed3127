"""The migration that partitions records_record, run as a deployment would: on a database of its own,
holding records of many years, forward, back and forward again (manage.py migrate in a subprocess)."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitioning is PostgreSQL's")

ROOT = Path(settings.BASE_DIR)
COLUMNS = (
    "record_type_id, catalog_version, department_id, data, private_data, subject_name, subject_kind, "
    "subject_code, decision_number, decision_date, severity, severity_source, status, deadline_calendar, "
    "is_publicised, under_repair, repaired, under_objection, source, content_hash, created_at, updated_at, "
    "created_by_label"
)
# 1,200 records decided 2019-2026 and one in 1999 (a backfill), some with history.
FILL = f"""
INSERT INTO records_record ({COLUMNS})
SELECT (SELECT id FROM catalog_recordtype WHERE code = 'penalty'), 1, 7, jsonb_build_object('n', n), '{{}}',
       '公司' || n, 'legal', '', '罚〔' || n || '〕号',
       CASE WHEN n = 0 THEN date '1999-03-02' ELSE date '2019-01-01' + (n * 2) END,
       'general', '', 'published', '', true, false, false, false, 'upload', md5(n::text), now(), now(), ''
FROM generate_series(0, 1199) AS n;
INSERT INTO records_recordevent (record_id, action, actor_label, reason, at)
SELECT id, 'revoke', '', '', now() FROM records_record WHERE id % 50 = 0;
"""  # noqa: S608 — constant SQL of the test

COPY_FIRST = (
    f"INSERT INTO records_record ({COLUMNS}) SELECT {COLUMNS.replace('decision_number', '$$新号$$')} "  # noqa: S608
    "FROM records_record WHERE id = (SELECT min(id) FROM records_record) RETURNING id"
)


def _facts(cursor):
    cursor.execute("SELECT count(*), sum(id), max(id), count(DISTINCT decision_date) FROM records_record")
    totals = cursor.fetchone()
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'records_record' "
        "AND indexname NOT IN ('records_record_pkey', 'record_natural_key') ORDER BY 1"
    )
    indexes = [name for (name,) in cursor.fetchall()]
    cursor.execute("SELECT stxname FROM pg_statistic_ext WHERE stxrelid = 'records_record'::regclass ORDER BY 1")
    statistics = [name for (name,) in cursor.fetchall()]
    cursor.execute("SELECT conname, contype FROM pg_constraint WHERE conrelid = 'records_record'::regclass ORDER BY 1")
    constraints = cursor.fetchall()
    return totals, indexes, statistics, constraints


def _kind(cursor) -> str:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'records_record'::regclass")
    return cursor.fetchone()[0]


@pytest.fixture
def scratch_database():
    params = connection.get_connection_params()
    name = f"{connection.settings_dict['NAME']}_partition_migration"
    admin = {k: v for k, v in params.items() if k in ("host", "port", "user", "password")}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    user = admin.get("user") or "postgres"
    url = f"postgres://{user}@{admin.get('host') or '127.0.0.1'}:{admin.get('port') or 5432}/{name}"
    try:
        yield url, {"dbname": name, **admin}
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url, *target):
    """manage.py migrate to ``target``; the test names records 0015, not the newest, because later
    migrations change the indexes it compares."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_ENV": "test"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0", *target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_records_of_many_years_survive_partitioning_back_and_forth(scratch_database):
    url, params = scratch_database
    migrate(url, "records", "0014")
    with psycopg.connect(autocommit=True, **params) as conn, conn.cursor() as cursor:
        cursor.execute(FILL)
        assert _kind(cursor) == "r"
        before = _facts(cursor)
    assert before[0][0] == 1200

    migrate(url, "records", "0015")

    with psycopg.connect(autocommit=True, **params) as conn, conn.cursor() as cursor:
        assert _kind(cursor) == "p"
        after = _facts(cursor)
        # Every row and id kept; the same indexes and statistics by name; the same
        # constraints but for the two keys, which now hold the decision date.
        assert after[:3] == before[:3]
        assert [c for c in after[3] if c[1] != "f"] == [c for c in before[3] if c[1] != "f"]
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM records_record GROUP BY 1 ORDER BY 1")
        spread = dict(cursor.fetchall())
        assert spread["records_record_y1999"] == 1
        assert {f"records_record_y{y}" for y in range(2019, 2026)} <= set(spread)
        assert "records_record_default" not in spread  # every year that had records got its partition
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname IN ('records_record_pkey', "
            "'record_natural_key') ORDER BY conname"
        )
        assert [d for (d,) in cursor.fetchall()] == [
            "UNIQUE (department_id, record_type_id, decision_number, decision_date)",
            "PRIMARY KEY (id, decision_date)",
        ]
        # The subject link's foreign key is still checked by the database.
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'records_record'::regclass AND contype = 'f'"
        )
        assert cursor.fetchone()[0] == 1
        # New rows take ids after the highest copied one.
        cursor.execute(COPY_FIRST)
        assert cursor.fetchone()[0] > before[0][2]
        cursor.execute("DELETE FROM records_record WHERE decision_number = '新号'")

    migrate(url, "records", "0014")

    with psycopg.connect(autocommit=True, **params) as conn, conn.cursor() as cursor:
        assert _kind(cursor) == "r"
        assert _facts(cursor)[:3] == before[:3]
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'record_natural_key'")
        assert cursor.fetchone()[0] == "UNIQUE (department_id, record_type_id, decision_number)"

    migrate(url, "records", "0015")
    with psycopg.connect(autocommit=True, **params) as conn, conn.cursor() as cursor:
        assert _kind(cursor) == "p"
        assert _facts(cursor)[0] == before[0]

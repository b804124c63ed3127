"""Pieces every benchmark shares: a migrated bench database, a step timer, peak RSS, and an import's two
floors (raw COPY; storing already-valid rows into the schema in use).

The scripts run as ``python bench/<name>.py``, so this directory is on sys.path.
"""
# ruff: noqa: S608 — the SQL here names tables and columns read from the models and the catalog, never input

import os
import time


def setup_django(url: str, **environ: str) -> None:
    """Create the bench database if missing, set up Django against it and migrate it."""
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"  # no query log kept in memory
    os.environ.update(environ)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if "testserver" not in settings.ALLOWED_HOSTS:  # the Django test client's host
        settings.ALLOWED_HOSTS.append("testserver")
    call_command("migrate", verbosity=0)


def step(label: str):
    """``with step("…") as t:`` prints the label, then the seconds it took (``t.seconds``)."""

    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()
            print(f"  {label} …", end="", flush=True)
            return self

        def __exit__(self, *exc):
            self.seconds = time.perf_counter() - self.start
            print(f" {self.seconds:.1f} s", flush=True)

    return Timer()


def peak_rss_mb() -> float:
    """This process's own peak RSS. (ru_maxrss survives execve on Linux: a child would report its parent's peak.)"""
    import contextlib
    import resource

    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- generated data: word lists, indexes dropped for a load and rebuilt after it ---------------------


def words() -> dict[str, list[str]]:
    """The demo word lists (fixtures/demo/names.json) the generators build county-like names from."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    names = json.loads((root / "fixtures" / "demo" / "names.json").read_text())

    def flat(items):
        return [item[0] if isinstance(item, list) else item for item in items]

    return {
        "prefixes": flat(names["company_prefixes"]),
        "first": names["brand_first"],
        "second": names["brand_second"],
        "industries": flat(names["industries"]),
        "forms": flat(names["company_forms"]),
        "shops": names["shop_kinds"],
        "towns": names["towns"],
        "surnames": flat(names["surnames"]),
        "given": names["given_male"] + names["given_female"],
    }


def deferred_indexes(cur, table: str):
    """Drop ``table``'s secondary indexes, unique and foreign-key constraints; return the statements
    that rebuild them.

    Inserting 10,000,000 rows into a table with 16 B-tree indexes and five DEFERRABLE foreign keys
    costs ~100 s per million: every row updates every index in random order and queues one deferred
    trigger event per foreign key. Building each index once from the sorted heap, and checking each
    foreign key with one join (``ADD CONSTRAINT`` validates set-based), is several times faster.
    """
    cur.execute(
        """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype IN ('u', 'f')
        ORDER BY contype DESC
        """,
        [table],
    )
    constraints = cur.fetchall()
    cur.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = %s AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.conname = i.indexname)
        """,
        [table, table],
    )
    indexes = cur.fetchall()
    for name, _ in constraints:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    # pg_indexes gives a partitioned table's index as "ON ONLY" (the parent alone, left invalid): built on
    # every partition instead.
    return [definition.replace(" ON ONLY ", " ON ") for _, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in reversed(constraints)
    ]


def rebuild(cur, statements):
    # One index build at a time with a large sort memory; PostgreSQL parallelises each build itself.
    cur.execute("SET maintenance_work_mem = '1GB'")
    for statement in statements:
        cur.execute(statement)


# --- the two floors of an import: raw COPY, and storing already-valid rows into the schema in use --------

COPY_TABLE = "bench_copy_floor"


def copy_floor(url: str, csv_path, columns: int) -> float:
    """Seconds to COPY the CSV into a bare table of ``columns`` text columns (no index, no constraint)."""
    import psycopg

    with psycopg.connect(url) as conn:
        cols = ", ".join(f"c{i} text" for i in range(columns))
        conn.execute(f"create table if not exists {COPY_TABLE} ({cols})")
        conn.execute(f"truncate {COPY_TABLE}")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"copy {COPY_TABLE} from stdin with (format csv, header true)") as copy:
            with open(csv_path, "rb") as source:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
        conn.commit()
        return time.perf_counter() - started


class StoredRows:
    """What an import stored for one department, as the schema in use holds it — to be stored again.

    The storing floor: the cost of putting rows that are already valid and already in their stored form
    into the schema the migrations give today, with nothing an import adds (no reading, checking,
    look-ups, JSON or hashes). Which tables and columns that is, is read from the models, not listed
    here, so the floor follows the schema when it changes:

    - the department's records (``Record``) and the subjects only they refer to (``Subject``) — the new
      subjects of the import;
    - every row of any other model of the apps an import writes (``INTAKE_APPS``) holding a foreign
      key to one of those records or subjects (today: a CREATE history row and an accepted submission
      per record; whatever the write model keeps, or adds, later — a name-search side table too);
    - every column PostgreSQL lets an INSERT write (generated columns are computed, as in the import);
      the rows keep their ids (``OVERRIDING SYSTEM VALUE``), so no look-up links a record to its subject.

    ``capture`` copies those rows into ``bench_floor_*`` tables, each row tagged with its segment
    (``IMPORT_STAGED_CHUNK_ROWS`` records in file order, a subject and its rows in the segment of its
    first record, a dependent row in its record's or subject's). ``store`` deletes the live rows, copies
    the captured ones into temp tables (untimed), then — timed — stores them segment by segment with
    ``INSERT … SELECT``, one transaction each, like the import (its COMMIT runs the deferred foreign-key
    checks, timed too).
    """

    PREFIX = "bench_floor_"
    # The apps an import writes into. Other apps' rows that point at records or subjects (lists, reports,
    # grades, accounts…) are never written by an import, and the bench wipe must never delete them.
    INTAKE_APPS = ("records", "subjects", "portal")

    def __init__(self, department_id: int):
        from django.apps import apps
        from django.conf import settings
        from django.db import models

        from apps.records.models import Record
        from apps.subjects.models import Subject

        self.department_id = department_id
        self.segment_rows = max(int(getattr(settings, "IMPORT_STAGED_CHUNK_ROWS", 10_000)), 1)
        self.record_table, self.subject_table = Record._meta.db_table, Subject._meta.db_table
        # table → [(fk column, "record" | "subject")], its primary key column
        self.dependents: dict[str, tuple[list[tuple[str, str]], str]] = {}
        for model in apps.get_models():
            if model._meta.app_label not in self.INTAKE_APPS or model in (Record, Subject):
                continue
            if model._meta.proxy or not model._meta.managed:
                continue
            links = [
                (f.column, "record" if f.related_model is Record else "subject")
                for f in model._meta.concrete_fields
                if isinstance(f, models.ForeignKey) and f.related_model in (Record, Subject)
            ]
            if links:
                self.dependents[model._meta.db_table] = (links, model._meta.pk.column)
        self.counts: dict[str, int] = {}

    def _tables(self):
        """(table, its captured copy) in storing order: subjects, their dependents, records, theirs."""
        yield self.subject_table
        yield from (t for t, (links, _) in self.dependents.items() if all(kind == "subject" for _, kind in links))
        yield self.record_table
        yield from (t for t, (links, _) in self.dependents.items() if any(kind == "record" for _, kind in links))

    def capture(self) -> dict[str, int]:
        from django.db import connection

        p = self.PREFIX
        with connection.cursor() as cursor:
            self._drop(cursor)
            cursor.execute(
                f"""CREATE UNLOGGED TABLE {p}{self.record_table} AS
                    SELECT (row_number() OVER (ORDER BY id) - 1) / %s AS bench_seg, r.*
                    FROM {self.record_table} r WHERE r.department_id = %s""",
                [self.segment_rows, self.department_id],
            )
            cursor.execute(
                f"""CREATE UNLOGGED TABLE {p}{self.subject_table} AS
                    SELECT f.bench_seg, s.* FROM {self.subject_table} s
                    JOIN (SELECT subject_id, min(bench_seg) AS bench_seg FROM {p}{self.record_table}
                          GROUP BY subject_id) f ON f.subject_id = s.id
                    WHERE NOT EXISTS (SELECT 1 FROM {self.record_table} o
                                      WHERE o.subject_id = s.id AND o.department_id <> %s)""",
                [self.department_id],
            )
            for table, (links, _pk) in self.dependents.items():
                joins, segs, where = [], [], []
                for i, (column, kind) in enumerate(links):
                    source = self.record_table if kind == "record" else self.subject_table
                    joins.append(f"LEFT JOIN {p}{source} j{i} ON j{i}.id = t.{column}")
                    segs.append(f"j{i}.bench_seg")
                    where.append(f"j{i}.id IS NOT NULL")
                cursor.execute(
                    f"""CREATE UNLOGGED TABLE {p}{table} AS
                        SELECT coalesce({", ".join(segs)}) AS bench_seg, t.* FROM {table} t {" ".join(joins)}
                        WHERE {" OR ".join(where)}"""
                )
            for table in self._tables():
                cursor.execute(f"SELECT count(*) FROM {p}{table}")
                self.counts[table] = cursor.fetchone()[0]
        return {t: n for t, n in self.counts.items() if n}

    def _drop(self, cursor) -> None:
        for table in [self.record_table, self.subject_table, *self.dependents]:
            cursor.execute(f"DROP TABLE IF EXISTS {self.PREFIX}{table}")

    def _columns(self, cursor, table: str) -> str:
        """The columns an INSERT may write (not dropped, not generated)."""
        cursor.execute(
            """SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
               WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''""",
            [table],
        )
        return cursor.fetchone()[0]

    def delete_live(self) -> None:
        """Remove the captured rows from the live tables (one transaction: the foreign keys are deferred)."""
        from django.db import connection, transaction

        p = self.PREFIX
        with transaction.atomic(), connection.cursor() as cursor:
            for table in reversed(list(self._tables())):
                pk = self.dependents[table][1] if table in self.dependents else "id"
                cursor.execute(f"DELETE FROM {table} WHERE {pk} IN (SELECT {pk} FROM {p}{table})")
        with connection.cursor() as cursor:
            for table in self._tables():
                cursor.execute(f"VACUUM ANALYZE {table}")

    def store(self) -> dict:
        """Store the captured rows again; returns seconds in all and by step (each table, COMMIT)."""
        from django.db import connection, transaction

        self.delete_live()
        tables = [t for t in self._tables() if self.counts.get(t)]
        with connection.cursor() as cursor:
            statements = {}
            for table in tables:
                staged = f"bench_staged_{table}"
                cursor.execute(f"DROP TABLE IF EXISTS {staged}")
                cursor.execute(f"CREATE TEMP TABLE {staged} AS SELECT * FROM {self.PREFIX}{table} ORDER BY bench_seg")
                cursor.execute(f"CREATE INDEX ON {staged} (bench_seg)")
                cursor.execute(f"ANALYZE {staged}")
                cols = self._columns(cursor, table)
                statements[table] = (
                    f"INSERT INTO {table} ({cols}) OVERRIDING SYSTEM VALUE"
                    f" SELECT {cols} FROM {staged} WHERE bench_seg = %s"
                )
            cursor.execute(f"SELECT max(bench_seg) FROM bench_staged_{self.record_table}")
            segments = cursor.fetchone()[0] + 1
        steps = dict.fromkeys([*tables, "COMMIT"], 0.0)
        started = time.perf_counter()
        for segment in range(segments):
            with transaction.atomic(), connection.cursor() as cursor:
                for table in tables:
                    t0 = time.perf_counter()
                    cursor.execute(statements[table], [segment])
                    steps[table] += time.perf_counter() - t0
                t0 = time.perf_counter()
            steps["COMMIT"] += time.perf_counter() - t0  # the deferred foreign-key checks run at COMMIT
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"DROP TABLE bench_staged_{table}")
        return {"seconds": seconds, "segments": segments, "steps": steps, "records": self.counts[self.record_table]}

    def wipe_department(self) -> None:
        """Delete everything imported for the department (the bench database only): whatever depends on its
        records, the records app's per-department rows (submissions, uploads…), the records, then those of
        their subjects no record refers to any more and whatever depends on those — tables read from the models."""
        from django.apps import apps
        from django.db import connection, models, transaction

        from apps.records.models import Record

        records, subjects, dept_id = self.record_table, self.subject_table, self.department_id
        per_department = [
            m._meta.db_table
            for m in apps.get_app_config("records").get_models()
            if m is not Record
            and any(isinstance(f, models.ForeignKey) and f.name == "department" for f in m._meta.concrete_fields)
        ]
        # Orphans among the subjects the department's records referred to only: a scan of every subject for
        # one without records costs minutes at tens of millions (scale_bench), and must not take subjects
        # other benchmarks generated without records.
        orphans = (
            f"SELECT w.id FROM bench_wipe_subjects w WHERE NOT EXISTS "
            f"(SELECT 1 FROM {records} r WHERE r.subject_id = w.id)"
        )
        touched = set(per_department)
        with transaction.atomic(), connection.cursor() as cursor:  # one transaction: the foreign keys are deferred
            cursor.execute(
                f"CREATE TEMP TABLE bench_wipe_subjects ON COMMIT DROP AS SELECT DISTINCT subject_id AS id "
                f"FROM {records} WHERE department_id = %s AND subject_id IS NOT NULL",
                [dept_id],
            )
            for table, (links, _pk) in self.dependents.items():
                for column, kind in links:
                    if kind == "record":
                        cursor.execute(
                            f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM {records} WHERE department_id = %s)",
                            [dept_id],
                        )
                        touched.add(table)
            for table in per_department:
                cursor.execute(f"DELETE FROM {table} WHERE department_id = %s", [dept_id])
            cursor.execute(f"DELETE FROM {records} WHERE department_id = %s", [dept_id])
            for table, (links, _pk) in self.dependents.items():
                for column, kind in links:
                    if kind == "subject":
                        cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({orphans})")
                        touched.add(table)
            cursor.execute(f"DELETE FROM {subjects} WHERE id IN ({orphans})")
        with connection.cursor() as cursor:
            # Without this every run inserts into tables and indexes full of the last run's dead rows.
            for table in (*sorted(touched), records, subjects):
                cursor.execute(f"VACUUM ANALYZE {table}")

    def describe(self) -> str:
        return ", ".join(f"{table} {n:,}" for table, n in self.counts.items() if n)

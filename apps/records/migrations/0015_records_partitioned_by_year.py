"""records_record becomes a table partitioned by decision year (PostgreSQL declarative partitioning).

What a deployment runs (docs/partitioning.md, "Moving an existing database"): this migration, inside one
transaction, with the table locked — readers and writers of records wait until it commits. It

1. creates the partitioned table beside the old one, one partition per decision year that has records,
   plus this year and next, and a DEFAULT partition for any other date (the nightly
   ``records_partitions_ensure`` task splits a year out of it when rows arrive there);
2. copies every row (``INSERT … SELECT``), sets the id sequence past the highest id, drops the old table;
3. re-creates, by the old table's own definitions read from the catalog, every index, check and
   foreign-key constraint and extended statistic, so nothing a later migration names is lost. Two change:
   the primary key is (id, decision_date) and the natural key gains decision_date, because a unique key
   of a partitioned table must hold its partition key (the intake still refuses a number used twice
   under another date — see Record.Meta).

Measured (docs/partitioning.md): 90 s for 1,000,000 records on a loaded 2-core machine. Links to
records from other tables lost their database constraint in the migrations before this one (a
partitioned table has no unique key on id alone to point at).

The reverse step turns the partitioned table back into a plain one the same way. On SQLite
(development) there is no partitioning; only the natural key changes.

Frozen: this file names everything it needs and imports no app code, so what it does never changes.
"""

import datetime

from django.db import migrations, models

TABLE = "records_record"
OLD = "records_record_unpartitioned"
PLAIN = "records_record_plain"
SEQUENCE = "records_record_id_seq"
PKEY = "records_record_pkey"
NATURAL_KEY = "record_natural_key"
KEY_COLUMNS = ("department_id", "record_type_id", "decision_number")
# Expression statistics of 0007, made on every partition too: the planner reads a partition's own.
PARTITION_STATISTICS = {
    "name_upper_stats": "upper(subject_name::text)",
    "number_upper_stats": "upper(decision_number::text)",
}


def _rows(cursor, sql, params=()):
    cursor.execute(sql, params)
    return cursor.fetchall()


def _definitions(cursor, table):
    """Constraints (other than the two keys), plain indexes and extended statistics, as SQL."""
    constraints = [
        f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}'
        for name, definition in _rows(
            cursor,
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('c', 'f', 'u') AND conname <> %s ORDER BY conname",
            [table, NATURAL_KEY],
        )
    ]
    indexes = [
        definition.replace(" ON ONLY ", " ON ")
        for (definition,) in _rows(
            cursor,
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
            [table],
        )
    ]
    statistics = [
        definition
        for (definition,) in _rows(
            cursor,
            "SELECT pg_get_statisticsobjdef(oid) FROM pg_statistic_ext WHERE stxrelid = %s::regclass ORDER BY 1",
            [table],
        )
    ]
    return constraints, indexes, statistics


def _partition_sql(name, bounds):
    statements = [f"CREATE TABLE {name} PARTITION OF {TABLE} {bounds}"]
    statements += [
        f"CREATE STATISTICS IF NOT EXISTS {name}_{suffix} ON ({expression}) FROM {name}"
        for suffix, expression in PARTITION_STATISTICS.items()
    ]
    return statements


def partition(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        model = apps.get_model("records", "Record")
        schema_editor.remove_constraint(model, models.UniqueConstraint(fields=KEY_COLUMNS, name=NATURAL_KEY))
        schema_editor.add_constraint(
            model, models.UniqueConstraint(fields=(*KEY_COLUMNS, "decision_date"), name=NATURAL_KEY)
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        constraints, indexes, statistics = _definitions(cursor, TABLE)
        this_year = datetime.date.today().year
        years = {int(y) for (y,) in _rows(cursor, f"SELECT DISTINCT date_part('year', decision_date) FROM {TABLE}")}
        years |= {this_year, this_year + 1}
        statements = [
            f"ALTER TABLE {TABLE} RENAME TO {OLD}",
            # Columns, NOT NULLs and defaults; the identity of id cannot be had by a partitioned table on
            # PostgreSQL 15, so id takes its values from a sequence of its own.
            f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING STORAGE) PARTITION BY RANGE (decision_date)",
            f"CREATE SEQUENCE {SEQUENCE}_new AS bigint OWNED BY {TABLE}.id",
            f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{SEQUENCE}_new')",
        ]
        for year in sorted(years):
            statements += _partition_sql(
                f"{TABLE}_y{year}", f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')"
            )
        statements += _partition_sql(f"{TABLE}_default", "DEFAULT")
        statements += [
            f"INSERT INTO {TABLE} SELECT * FROM {OLD}",
            f"SELECT setval('{SEQUENCE}_new', COALESCE((SELECT max(id) FROM {TABLE}), 0) + 1, false)",
            f"DROP TABLE {OLD}",
            f"ALTER SEQUENCE {SEQUENCE}_new RENAME TO {SEQUENCE}",
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {PKEY} PRIMARY KEY (id, decision_date)",
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {NATURAL_KEY} UNIQUE ({', '.join(KEY_COLUMNS)}, decision_date)",
            *constraints,
            *indexes,
            *statistics,
            f"ANALYZE {TABLE}",
        ]
        for statement in statements:
            cursor.execute(statement)


def unpartition(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        model = apps.get_model("records", "Record")
        schema_editor.remove_constraint(
            model, models.UniqueConstraint(fields=(*KEY_COLUMNS, "decision_date"), name=NATURAL_KEY)
        )
        schema_editor.add_constraint(model, models.UniqueConstraint(fields=KEY_COLUMNS, name=NATURAL_KEY))
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        constraints, indexes, statistics = _definitions(cursor, TABLE)
        statements = [
            f"CREATE TABLE {PLAIN} (LIKE {TABLE} INCLUDING STORAGE)",
            f"INSERT INTO {PLAIN} SELECT * FROM {TABLE}",
            f"DROP TABLE {TABLE}",  # its partitions, their statistics and the id sequence go with it
            f"ALTER TABLE {PLAIN} RENAME TO {TABLE}",
            f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY",
            f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), COALESCE((SELECT max(id) FROM {TABLE}), 0) + 1, false)",
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {PKEY} PRIMARY KEY (id)",
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {NATURAL_KEY} UNIQUE ({', '.join(KEY_COLUMNS)})",
            *constraints,
            *indexes,
            *statistics,
        ]
        for statement in statements:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0014_record_links_without_constraint"),
        ("commitments", "0007_record_links_without_constraint"),
        ("lists", "0008_record_link_without_constraint"),
        ("repair", "0006_record_links_without_constraint"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="record", name=NATURAL_KEY),
                migrations.AddConstraint(
                    model_name="record",
                    constraint=models.UniqueConstraint(
                        fields=("department", "record_type", "decision_number", "decision_date"), name=NATURAL_KEY
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(partition, unpartition)],
        )
    ]

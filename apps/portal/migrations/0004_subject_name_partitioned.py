"""The name side table is split by side: one partition for organisations, one for natural persons.

Why (issue 19, measured at 20 M records): the planner keeps one set of statistics per table, so it
estimated ``person AND bigrams @> '{有限}'`` from the whole table — 407,872 persons named like a
company — and chose to read the table in order until 201 rows turned up; there are none, so it read
all 6.67 M names (18.9 s). Each partition has its own statistics (its own most common bigrams), so
the estimate for one side is that side's; ``WHERE NOT person`` / ``WHERE person`` name one partition.

- ``portal_subject_name`` is LIST-partitioned on ``person``: ``portal_subject_name_org`` (false) and
  ``portal_subject_name_person`` (true), each keyed by ``subject_id``; the search names the partition
  it reads (``apps.portal.search``).
- The GIN indexes keep their names, each on its own partition (no predicate needed any more).
- ``portal_subject_name_refresh()`` moves a subject whose kind changed out of its old partition,
  then upserts each side into its own partition.

The triggers and the queue are unchanged. PostgreSQL only, like 0001 and 0003. The copy runs at the
speed of an INSERT … SELECT (3.3 M names: see docs/scale.md); the table is a derived index, so a
deployment may instead truncate it and let the refresh rebuild it.
"""

from django.db import migrations

# Each side is upserted into its own partition: each partition's key is ``subject_id`` alone (the
# parent has none, as a partitioned table's key would have to hold ``person``), which is also what lets
# the search join a partition to subjects without de-duplicating its ids first.
REFRESH = """
CREATE OR REPLACE FUNCTION portal_subject_name_refresh() RETURNS integer LANGUAGE sql AS $$
   WITH queued AS (DELETE FROM portal_subject_name_pending RETURNING subject_id),
   moved AS (
       DELETE FROM portal_subject_name n USING subjects_subject s
       WHERE n.subject_id IN (SELECT subject_id FROM queued) AND s.id = n.subject_id
         AND n.person IS DISTINCT FROM (s.kind = 'person')),
   organisations AS (
       INSERT INTO portal_subject_name_org (subject_id, person, bigrams)
       SELECT s.id, false, portal_name_bigrams(s.name) FROM subjects_subject s
       WHERE s.id IN (SELECT subject_id FROM queued) AND s.kind <> 'person'
       ON CONFLICT (subject_id) DO UPDATE SET bigrams = EXCLUDED.bigrams
       RETURNING 1),
   persons AS (
       INSERT INTO portal_subject_name_person (subject_id, person, bigrams)
       SELECT s.id, true, portal_name_bigrams(s.name) FROM subjects_subject s
       WHERE s.id IN (SELECT subject_id FROM queued) AND s.kind = 'person'
       ON CONFLICT (subject_id) DO UPDATE SET bigrams = EXCLUDED.bigrams
       RETURNING 1)
   SELECT ((SELECT count(*) FROM organisations) + (SELECT count(*) FROM persons))::integer $$
"""

# 0003's refresh, for the way back.
OLD_REFRESH = """
CREATE OR REPLACE FUNCTION portal_subject_name_refresh() RETURNS integer LANGUAGE sql AS $$
   WITH queued AS (DELETE FROM portal_subject_name_pending RETURNING subject_id),
   stored AS (
       INSERT INTO portal_subject_name (subject_id, person, bigrams)
       SELECT s.id, s.kind = 'person', portal_name_bigrams(s.name) FROM subjects_subject s
       WHERE s.id IN (SELECT subject_id FROM queued)
       ON CONFLICT (subject_id) DO UPDATE SET person = EXCLUDED.person, bigrams = EXCLUDED.bigrams
       RETURNING 1)
   SELECT count(*)::integer FROM stored $$
"""

FORWARD = [
    # The refresh names the table in its body only, so it is replaced after the swap below.
    "ALTER TABLE portal_subject_name RENAME TO portal_subject_name_unsplit",
    "ALTER TABLE portal_subject_name_unsplit RENAME CONSTRAINT portal_subject_name_pkey TO portal_subject_name_unsplit_pkey",
    "ALTER INDEX subject_name_bigrams_gin RENAME TO subject_name_bigrams_gin_unsplit",
    "ALTER INDEX subject_person_name_bigrams_gin RENAME TO subject_person_name_bigrams_gin_unsplit",
    """CREATE TABLE portal_subject_name (
           subject_id bigint NOT NULL,
           person boolean NOT NULL,
           bigrams text[] NOT NULL) PARTITION BY LIST (person)""",
    """CREATE TABLE portal_subject_name_org PARTITION OF portal_subject_name (PRIMARY KEY (subject_id))
       FOR VALUES IN (false)""",
    """CREATE TABLE portal_subject_name_person PARTITION OF portal_subject_name (PRIMARY KEY (subject_id))
       FOR VALUES IN (true)""",
    """INSERT INTO portal_subject_name (subject_id, person, bigrams)
       SELECT subject_id, person, bigrams FROM portal_subject_name_unsplit""",
    "DROP TABLE portal_subject_name_unsplit",
    "CREATE INDEX subject_name_bigrams_gin ON portal_subject_name_org USING gin (bigrams)",
    "CREATE INDEX subject_person_name_bigrams_gin ON portal_subject_name_person USING gin (bigrams)",
    REFRESH,
    "ANALYZE portal_subject_name_org",
    "ANALYZE portal_subject_name_person",
]

BACKWARD = [
    "ALTER TABLE portal_subject_name RENAME TO portal_subject_name_split",
    "ALTER INDEX subject_name_bigrams_gin RENAME TO subject_name_bigrams_gin_split",
    "ALTER INDEX subject_person_name_bigrams_gin RENAME TO subject_person_name_bigrams_gin_split",
    """CREATE TABLE portal_subject_name (
           subject_id bigint PRIMARY KEY,
           person boolean NOT NULL,
           bigrams text[] NOT NULL)""",
    """INSERT INTO portal_subject_name (subject_id, person, bigrams)
       SELECT subject_id, person, bigrams FROM portal_subject_name_split""",
    "DROP TABLE portal_subject_name_split",
    "CREATE INDEX subject_name_bigrams_gin ON portal_subject_name USING gin (bigrams) WHERE NOT person",
    "CREATE INDEX subject_person_name_bigrams_gin ON portal_subject_name USING gin (bigrams) WHERE person",
    OLD_REFRESH,
    "ANALYZE portal_subject_name",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("portal", "0003_subject_name_side_table")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

"""The public name search's bigrams move from a GIN index on ``subjects_subject`` to a side table.

The GIN expression indexes of 0001 made every subject insert compute the name's bigrams and add
~15 GIN entries: about 70 % of the cost of the subject insert of an import (issue 15). Now:

- ``portal_subject_name (subject_id, person, bigrams)`` holds the bigrams, with the two partial
  GIN indexes (same names as before, so plans read alike): organisations / natural persons.
- An insert into ``subjects_subject`` only queues the new ids in ``portal_subject_name_pending``
  (one statement-level trigger with a transition table: a narrow heap row per subject, no index);
  a rename (or a change of kind) queues the id from a row trigger that fires on those columns only.
- ``portal_subject_name_refresh()`` moves the queue into the side table, set-based; it runs right
  after an import's rows are committed (apps/subjects/name_index.py) and every minute from beat.
- Until then the search still finds a queued subject: ``name_candidates`` also looks at the queued
  ids by ``ILIKE`` (a few rows), so a new subject is searchable as soon as it is committed.

A deleted subject takes its side row with it (a statement trigger: deletes are rare; no foreign key,
which would make every TRUNCATE of subjects — test flushes, benchmarks — fail without CASCADE), and
a TRUNCATE of subjects empties both tables. PostgreSQL only, like 0001.
"""

from django.db import migrations

# The same bigrams as 0001's SQL function (lower-cased, every two adjacent characters), by a plpgsql
# loop: ~3× faster per name (bench: 100k names 2.4 s against 6.8 s), as it skips generate_series and the
# DISTINCT sort. Repeated bigrams are kept: ``@>`` and the GIN index (which de-duplicates an item's keys)
# read an array as a set, so every query answers the same.
FUNCTION = """
CREATE OR REPLACE FUNCTION portal_name_bigrams(name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    folded text := lower(name);
    grams text[] := '{}';
BEGIN
    FOR i IN 1 .. char_length(folded) - 1 LOOP
        grams := grams || substr(folded, i, 2);
    END LOOP;
    RETURN grams;
END $$
"""
OLD_FUNCTION = """
CREATE OR REPLACE FUNCTION portal_name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(name), i, 2)), '{}'::text[])
    FROM generate_series(1, char_length(name) - 1) AS i
$$
"""

FORWARD = [
    "DROP INDEX IF EXISTS subject_name_bigrams_gin",
    "DROP INDEX IF EXISTS subject_person_name_bigrams_gin",
    FUNCTION,
    """CREATE TABLE portal_subject_name (
           subject_id bigint PRIMARY KEY,
           person boolean NOT NULL,
           bigrams text[] NOT NULL)""",
    "CREATE TABLE portal_subject_name_pending (subject_id bigint NOT NULL)",
    """INSERT INTO portal_subject_name (subject_id, person, bigrams)
       SELECT id, kind = 'person', portal_name_bigrams(name) FROM subjects_subject""",
    # Organisations (searched by everyone) and natural persons (shown only while something about them is
    # public): a fragment frequent among company names (有限) costs nothing in the persons' index.
    "CREATE INDEX subject_name_bigrams_gin ON portal_subject_name USING gin (bigrams) WHERE NOT person",
    "CREATE INDEX subject_person_name_bigrams_gin ON portal_subject_name USING gin (bigrams) WHERE person",
    """CREATE FUNCTION portal_subject_name_queue() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           INSERT INTO portal_subject_name_pending (subject_id) SELECT id FROM new_subjects;
           RETURN NULL;
       END $$""",
    """CREATE TRIGGER portal_subject_name_inserted AFTER INSERT ON subjects_subject
       REFERENCING NEW TABLE AS new_subjects FOR EACH STATEMENT EXECUTE FUNCTION portal_subject_name_queue()""",
    """CREATE FUNCTION portal_subject_name_requeue() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           INSERT INTO portal_subject_name_pending (subject_id) VALUES (NEW.id);
           RETURN NULL;
       END $$""",
    """CREATE TRIGGER portal_subject_name_renamed AFTER UPDATE OF name, kind ON subjects_subject
       FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.kind IS DISTINCT FROM NEW.kind)
       EXECUTE FUNCTION portal_subject_name_requeue()""",
    """CREATE FUNCTION portal_subject_name_forget() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           DELETE FROM portal_subject_name WHERE subject_id IN (SELECT id FROM old_subjects);
           RETURN NULL;
       END $$""",
    """CREATE TRIGGER portal_subject_name_deleted AFTER DELETE ON subjects_subject
       REFERENCING OLD TABLE AS old_subjects FOR EACH STATEMENT EXECUTE FUNCTION portal_subject_name_forget()""",
    """CREATE FUNCTION portal_subject_name_clear() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           TRUNCATE portal_subject_name, portal_subject_name_pending;
           RETURN NULL;
       END $$""",
    """CREATE TRIGGER portal_subject_name_truncated AFTER TRUNCATE ON subjects_subject
       FOR EACH STATEMENT EXECUTE FUNCTION portal_subject_name_clear()""",
    # Two refreshes at once: the second one's DELETE waits for the first's rows and then skips them.
    """CREATE FUNCTION portal_subject_name_refresh() RETURNS integer LANGUAGE sql AS $$
       WITH queued AS (DELETE FROM portal_subject_name_pending RETURNING subject_id),
       stored AS (
           INSERT INTO portal_subject_name (subject_id, person, bigrams)
           SELECT s.id, s.kind = 'person', portal_name_bigrams(s.name) FROM subjects_subject s
           WHERE s.id IN (SELECT subject_id FROM queued)
           ON CONFLICT (subject_id) DO UPDATE SET person = EXCLUDED.person, bigrams = EXCLUDED.bigrams
           RETURNING 1)
       SELECT count(*)::integer FROM stored $$""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS portal_subject_name_truncated ON subjects_subject",
    "DROP TRIGGER IF EXISTS portal_subject_name_deleted ON subjects_subject",
    "DROP FUNCTION IF EXISTS portal_subject_name_clear()",
    "DROP FUNCTION IF EXISTS portal_subject_name_forget()",
    "DROP TRIGGER IF EXISTS portal_subject_name_renamed ON subjects_subject",
    "DROP TRIGGER IF EXISTS portal_subject_name_inserted ON subjects_subject",
    "DROP FUNCTION IF EXISTS portal_subject_name_refresh()",
    "DROP FUNCTION IF EXISTS portal_subject_name_requeue()",
    "DROP FUNCTION IF EXISTS portal_subject_name_queue()",
    "DROP TABLE IF EXISTS portal_subject_name_pending",
    "DROP TABLE IF EXISTS portal_subject_name",
    OLD_FUNCTION,
    "CREATE INDEX IF NOT EXISTS subject_name_bigrams_gin ON subjects_subject "
    "USING gin (portal_name_bigrams(name)) WHERE kind <> 'person'",
    "CREATE INDEX IF NOT EXISTS subject_person_name_bigrams_gin ON subjects_subject "
    "USING gin (portal_name_bigrams(name)) WHERE kind = 'person'",
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
    dependencies = [("portal", "0002_article"), ("subjects", "0004_subject_name_statistics")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

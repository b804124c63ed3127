"""A GIN index of the character bigrams of every subject name (PostgreSQL only).

pg_trgm cannot serve Chinese partial names: it indexes trigrams, so a
two-character query (``鑫源``) has no trigram to look up, and under a C locale
it drops non-ASCII characters altogether. Bigrams of the name serve any query
of two or more characters: a name containing ``乳山鑫源`` contains each of
``乳山``, ``山鑫``, ``鑫源``, so ``bigrams(name) @> bigrams(query)`` narrows
the candidates through the index and a ``LIKE`` recheck keeps exact substrings.

The index is on an expression (an IMMUTABLE SQL function of ``name``), not on a
stored column: PostgreSQL maintains it on every write path — ``save()``,
``bulk_create`` (which sends no signals), ``COPY``, raw ``UPDATE`` — so no code
has to remember to keep a column in step, and building the index is the
backfill. SQLite (the embedded default) gets nothing and searches with
``icontains``.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(name), i, 2)), '{}'::text[])
    FROM generate_series(1, char_length(name) - 1) AS i
$$
"""
# Two partial indexes: organisations (searched by everyone) and natural persons (shown only while
# something about them is public). A fragment frequent among company names (``有限``) then costs
# nothing in the persons' index, and the other way round for ``秀英``.
INDEXES = [
    "CREATE INDEX IF NOT EXISTS subject_name_bigrams_gin ON subjects_subject "
    "USING gin (portal_name_bigrams(name)) WHERE kind <> 'person'",
    "CREATE INDEX IF NOT EXISTS subject_person_name_bigrams_gin ON subjects_subject "
    "USING gin (portal_name_bigrams(name)) WHERE kind = 'person'",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for statement in INDEXES:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS subject_person_name_bigrams_gin")
    schema_editor.execute("DROP INDEX IF EXISTS subject_name_bigrams_gin")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_name_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("subjects", "0002_uscc_length_erroneous_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

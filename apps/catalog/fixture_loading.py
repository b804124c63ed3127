"""Loading policy data in data migrations, from snapshots frozen beside each migration.

A migration loads ``migrations/data/<its number>_<name>.json``: the rows as they were when the migration
was written, never the live ``fixtures/*.json``, so an edit of a fixture cannot change what an old
migration does on a fresh database. A change of policy data is a new migration with a new snapshot
(``load_changes``), and ``apps/catalog/tests/test_fixture_migrations.py`` fails while a fixture differs
from what the migrations give a fresh database.

Historical models are used, so old migrations keep working when models change: fields a model did not
have yet are skipped (a later migration fills them), and rows that already exist (same pk) are left as
staff edited them.
"""

import json
from pathlib import Path

from django.core.management.color import no_style

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def snapshot(migration_file: str, name: str):
    """The rows frozen beside a migration: ``snapshot(__file__, "0002_catalog")``."""
    return json.loads((Path(migration_file).parent / "data" / f"{name}.json").read_text(encoding="utf-8"))


def _split(model, values: dict) -> tuple[dict, dict]:
    known = {f.name: f for f in model._meta.get_fields()}
    fields, many = {}, {}
    for key, value in values.items():
        field = known.get(key)
        if field is None:
            continue
        if field.many_to_many:
            many[key] = value
        else:
            fields[field.attname if field.is_relation else key] = (
                field.to_python(value) if not field.is_relation else value
            )
    return fields, many


def _reset_sequences(schema_editor, models) -> None:
    # Rows came with explicit ids: move PostgreSQL's id sequences past them, or the
    # next row staff add in the admin would collide with id 1.
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def load_rows(apps, schema_editor, rows) -> None:
    """Create the rows that do not exist yet (by pk); existing rows are left as they are."""
    touched = set()
    for row in rows:
        model = apps.get_model(row["model"])
        fields, many = _split(model, row["fields"])
        obj, created = model.objects.get_or_create(pk=row["pk"], defaults=fields)
        if created:
            for key, value in many.items():
                getattr(obj, key).set(value)
        touched.add(model)
    _reset_sequences(schema_editor, touched)


def load_changes(apps, schema_editor, changes) -> None:
    """Apply a policy-data change: ``[{"model", "pk", "fields": new values, "before": old values}]``.

    A missing row is created. In an existing row each field is set to its new value only where it still
    holds the value it had before the change (``before``): a value staff have edited since is theirs.
    """
    touched = set()
    for change in changes:
        model = apps.get_model(change["model"])
        obj = model.objects.filter(pk=change["pk"]).first()
        if obj is None:
            load_rows(apps, schema_editor, [change])
            continue
        new, _ = _split(model, change["fields"])
        before, _ = _split(model, change.get("before", {}))
        updates = {name: value for name, value in new.items() if name in before and getattr(obj, name) == before[name]}
        if updates:
            model.objects.filter(pk=obj.pk).update(**updates)
        touched.add(model)
    _reset_sequences(schema_editor, touched)

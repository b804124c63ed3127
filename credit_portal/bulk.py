"""Inserting many new rows at once: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

Django's ``bulk_create`` on PostgreSQL sends every column as an array
parameter; psycopg escapes each element of those arrays in Python, which for
JSON-heavy rows (a record's 30 catalog fields) costs more than validating
them. ``COPY … FROM STDIN`` formats rows in psycopg's C code and lets the
server load them in one stream, so an import spends its time on checks, not
on quoting. Primary keys are taken from the table's sequence first, so the
callers get saved instances with ids exactly as ``bulk_create`` gives them.

Only plain inserts of new instances: no signals (as ``bulk_create``), no
conflict handling (callers decide duplicates before inserting; a unique
violation aborts the transaction like any failed insert).
"""

import json
from collections.abc import Sequence
from functools import cache

from django.db import connections, models
from psycopg import sql


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model], *, using: str = "default") -> None:
    """Insert ``objs`` (new instances of ``model``) and set their primary keys."""
    if not objs:
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_create(objs)
        return
    columns = _columns(model)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, model._meta.pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(column) for column, _ in columns)
        )
        # The raw psycopg cursor is needed for COPY; Django's wrapper still turns its errors into
        # django.db errors (IntegrityError on a lost race), as callers expect from any insert.
        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for obj, pk in zip(objs, ids, strict=True):
                obj.pk = pk
                copy.write_row([value(obj) for _, value in columns])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


@cache
def _columns(model) -> tuple[tuple[str, object], ...]:
    """(column, how to get its value from an instance) for every concrete field, computed once per model."""
    return tuple((field.column, _getter(field)) for field in model._meta.concrete_fields)


def _getter(field: models.Field):
    attname = field.attname
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def json_value(obj):
            value = getattr(obj, attname)
            return None if value is None else json.dumps(value, cls=encoder, ensure_ascii=False)

        return json_value
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        # pre_save stamps the instance (as save() would) and returns the value.
        return lambda obj: field.pre_save(obj, add=True)
    return lambda obj: getattr(obj, attname)

"""ORM querysets compiled to SQL once per process and replayed with each request's values.

A public profile runs the same few small queries for every visitor; only the
subject's id and the day change. Building and compiling a queryset costs the ORM
~0.5–1.5 ms of Python per query, several times what PostgreSQL spends answering
it from an index. ``PreparedQuery`` keeps the ORM as the one place where the
query is written — the publicity rules stay in ``public_records()`` and
``public_entries()`` — and compiles it once, with sentinel values standing in for
the parameters; each call then sends that SQL with the sentinels replaced.

The statement is also prepared on the server, by psycopg itself: settings.py turns on
server-side binding and a prepare threshold through Django's documented ``OPTIONS``
(``DB_PREPARED_STATEMENTS``), so the same SQL text run a few times on a connection is
parsed once there; it is still planned for each call's values (``plan_cache_mode``: a
generic plan goes badly wrong on skewed columns, see settings.py). Nothing here reaches
into the connection or its cursors.

What remains of Django's internals is the compiler (``get_compiler().as_sql()`` and the
fields' converters), the same API ``QuerySet.explain`` and ``str(query)`` stand on;
``tests/test_policy_cache_and_prepared.py`` replays queries through it and fails if a
Django upgrade changes it.

The statement runs on the connection the router picks for the queryset's model: the read replica for a
public read when there is one (credit_portal/db_router.py), else the primary.

Only on PostgreSQL: there the compiled parameters are the Python values
themselves (SQLite's backend turns dates into strings first), and the sentinel
positions are checked when the query is first compiled. Elsewhere each call
simply evaluates the queryset.
"""

import datetime
from collections.abc import Callable, Hashable

from django.db import connection, connections, router
from django.db.models import QuerySet

# Values no real query carries: a day before the calendar reform and a negative id.
SENTINELS = {datetime.date: datetime.date(1, 1, 2), int: -7_364_901}


class PreparedQuery:
    """``PreparedQuery(build, on=datetime.date, pk=int)``: ``build(on=…, pk=…)`` returns a
    ``values_list()`` queryset; ``rows(on=day, pk=42)`` returns its rows as tuples.

    ``key`` is for what shapes the SQL besides the parameters (a LIMIT read from a
    setting): one compiled statement is kept per key.
    """

    def __init__(self, build: Callable[..., QuerySet], **params: type):
        if len(set(params.values())) != len(params):
            raise ValueError("one parameter per type: the sentinels tell them apart by type")
        self.build = build
        self.params = params
        self._compiled: dict[Hashable, tuple[str, list, list, int, type]] = {}

    def _compile(self, key: Hashable) -> tuple[str, list, list, int, type]:
        sentinels = {name: SENTINELS[kind] for name, kind in self.params.items()}
        queryset = self.build(**sentinels, key=key)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in sentinels.items()}
        slots = []
        for value in params:
            # type() as well: True == 1 and 1.0 == 1 must not be taken for a sentinel.
            name = by_value.get(value) if type(value) in SENTINELS else None
            slots.append((True, name) if name else (False, value))
        missing = set(self.params) - {name for is_param, name in slots if is_param}
        if missing:
            raise ValueError(f"parameters {sorted(missing)} do not reach the SQL of {self.build.__qualname__}")
        # The fields' from_db_value (JSON text to Python, for one), as the queryset itself would apply.
        columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        converters = [(i, funcs, column) for i, (funcs, column) in compiler.get_converters(columns).items()]
        return sql, slots, converters, compiler.col_count, queryset.model

    def rows(self, *, key: Hashable = None, **values) -> list[tuple]:
        if connection.vendor != "postgresql":
            return list(self.build(**values, key=key))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(key)
        sql, slots, converters, col_count, model = compiled
        params = [values[name] if is_param else name for is_param, name in slots]
        db = connections[router.db_for_read(model)]
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [row[:col_count] for row in cursor.fetchall()] if cursor.description else []
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for i, funcs, column in converters:
                for func in funcs:
                    row[i] = func(row[i], column, db)
            converted.append(tuple(row))
        return converted

"""The partitions of records_record (PostgreSQL): one per decision year, and a DEFAULT one.

Migration records 0015 made the table partitioned by ``decision_date`` ranges of one calendar year
each. This module reads the partitions from the catalog, makes new ones ahead of time (the daily
``records_partitions_ensure`` task) and hands the nightly jobs one partition at a time, so each of
their statements touches one year's rows and holds its locks for that year only.

A record whose decision year has no partition yet lands in the DEFAULT partition (an old decision
backfilled, a date far ahead); :func:`ensure_partitions` moves such a year out into a partition of
its own. On SQLite (development) there are no partitions: the functions see the one plain table.
"""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from .models import Record

TABLE = Record._meta.db_table
DEFAULT = f"{TABLE}_default"
# Expression statistics every partition gets (see migration records 0007 for why they exist): the
# planner estimates a partition's rows with that partition's own statistics.
PARTITION_STATISTICS = {
    "name_upper_stats": "upper(subject_name::text)",
    "number_upper_stats": "upper(decision_number::text)",
}
_RANGE = re.compile(r"FOR VALUES FROM \('(\d{4}-\d{2}-\d{2})'\) TO \('(\d{4}-\d{2}-\d{2})'\)")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime.date | None = None  # None: the DEFAULT partition (or the plain table)
    end: datetime.date | None = None  # exclusive

    @property
    def is_default(self) -> bool:
        return self.start is None

    def holds(self, day: datetime.date) -> bool:
        return self.start is not None and self.start <= day < self.end


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE])
        return cursor.fetchone()[0] == "p"


def record_partitions() -> list[Partition]:
    """The year partitions in date order, then DEFAULT; the plain table alone where there are none."""
    if not is_partitioned():
        return [Partition(TABLE)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        found = cursor.fetchall()
    years, default = [], []
    for name, bound in found:
        match = _RANGE.search(bound)
        if match:
            start, end = (datetime.date.fromisoformat(value) for value in match.groups())
            years.append(Partition(name, start, end))
        else:
            default.append(Partition(name))
    return sorted(years, key=lambda p: p.start) + default


def partition_of(partitions: list[Partition], day: datetime.date) -> Partition:
    """The partition a decision date's record lives in."""
    return next((p for p in partitions if p.holds(day)), partitions[-1])


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _create_year(year: int) -> None:
    """Make the partition of ``year``, moving that year's rows out of DEFAULT if it holds any.

    A partition cannot be created over rows DEFAULT already holds for its range, so the rows are
    copied into a new table first, deleted from DEFAULT, and the table attached (PostgreSQL then
    checks its rows and builds the parent's indexes on it). One transaction: readers see the rows
    in one place or the other, never both or neither.
    """
    name = f"{TABLE}_y{year}"
    start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    table, default, new = _quote(TABLE), _quote(DEFAULT), _quote(name)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {default} IN SHARE ROW EXCLUSIVE MODE")  # noqa: S608 — our table names
        cursor.execute(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE decision_date >= %s AND decision_date < %s RETURNING *) "  # noqa: S608
            f"INSERT INTO {new} SELECT * FROM moved",
            [start, end],
        )
        # DDL takes no bound parameters (server-side binding): the bounds are dates we made, as literals.
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {new} FOR VALUES FROM ('{start}') TO ('{end}')")
        for suffix, expression in PARTITION_STATISTICS.items():
            cursor.execute(f"CREATE STATISTICS IF NOT EXISTS {_quote(f'{name}_{suffix}')} ON ({expression}) FROM {new}")
        cursor.execute(f"ANALYZE {new}")


def ensure_partitions(*, today: datetime.date, years_ahead: int | None = None) -> list[str]:
    """Make the partitions of this year and the next ``years_ahead`` ones, and of every year found in
    DEFAULT; returns the names made (none on a second run). Nothing on a database without partitions."""
    if not is_partitioned():
        return []
    ahead = settings.RECORD_PARTITION_YEARS_AHEAD if years_ahead is None else years_ahead
    have = {p.start.year for p in record_partitions() if not p.is_default}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT date_part('year', decision_date)::int FROM {_quote(DEFAULT)}")  # noqa: S608
        stray = {year for (year,) in cursor.fetchall()}
    wanted = sorted(({today.year + n for n in range(ahead + 1)} | stray) - have)
    for year in wanted:
        _create_year(year)
    return [f"{TABLE}_y{year}" for year in wanted]

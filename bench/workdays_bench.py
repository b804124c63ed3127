"""Working-day calendar: cost of the per-day answer, of single deadlines and of a bulk deadline table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credit_bench .venv/bin/python bench/workdays_bench.py

Spans 2020–2030 on purpose: 2020–2026 are in the official-notice library, the later years
are computed by the estimated (python-holidays) or Mon–Fri calendar, so a slow source shows.
Medians of ``--repeat`` runs; caches are emptied before every "cold" run.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchlib import setup_django  # noqa: E402

FIRST, LAST = datetime.date(2020, 1, 1), datetime.date(2030, 12, 31)


def _clear_caches(services):
    # Every memoised helper of the module, whatever its name in this version.
    for value in vars(services).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


def _median(fn, repeat, before=None):
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--deadlines", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    setup_django(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/credit_bench"))
    from apps.workdays import services

    span = (LAST - FIRST).days + 1
    days = [FIRST + datetime.timedelta(days=i) for i in range(span)]
    rng = random.Random(14)
    starts = [rng.choice(days[: span - 60]) for _ in range(max(args.deadlines, args.rows))]

    def per_day():
        for day in days:
            services._base_is_workday(day)

    cold = _median(per_day, args.repeat, before=lambda: _clear_caches(services))
    warm = _median(per_day, args.repeat)
    print(f"per-day calendar, {span} days 2020–2030: cold {cold * 1000:.1f} ms, warm {warm * 1000:.2f} ms")

    def single():
        for start in starts[: args.deadlines]:
            services.workdays_add(start=start, days=7)

    _clear_caches(services)
    single_t = _median(single, args.repeat)
    print(
        f"workdays_add(days=7) × {args.deadlines}: {single_t:.2f} s "
        f"({single_t / args.deadlines * 1e6:.0f} µs each, one override query each)"
    )

    def table():
        t = services.DeadlineTable(first=FIRST, last=LAST)
        for start in starts[: args.rows]:
            t.add(start=start, days=7)

    table_cold = _median(table, args.repeat, before=lambda: _clear_caches(services))
    table_warm = _median(table, args.repeat)
    print(f"DeadlineTable 2020–2030 + {args.rows} adds: cold {table_cold:.2f} s, warm {table_warm:.2f} s")


if __name__ == "__main__":
    main()

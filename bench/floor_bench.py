"""Storing floor: already-valid rows stored into the schema in use, beside raw COPY, in one run.

    .venv/bin/python bench/floor_bench.py --rows 100000 --repeat 3 --database-url postgres://…/credit_bench

The same N national-template 行政处罚 rows as import_bench.py (its generator and its cached CSV in
var/bench/). The platform imports the CSV once (``manage.py import_records``, as import_bench does);
what it stored — records, new subjects, every row the schema keeps beside them (``StoredRows`` in
benchlib.py reads which from the models) — is then stored again ``--repeat`` times by
``INSERT … SELECT`` from temp tables, in segments of ``IMPORT_STAGED_CHUNK_ROWS`` records, one
transaction each, and raw COPY of the CSV into a bare 30-text-column table is timed in the same run.
Medians are printed; every rate is N file rows / seconds, so an import's rate divided by the floor's is
the share of its time that storing alone would take.

import_bench.py measures the same floor in its own runs and prints every import figure as % of COPY
and % of this floor. Never run as a test.
"""

import argparse
import os
import statistics

import import_bench
from benchlib import StoredRows, copy_floor


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="N rows (default 10,000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or import_bench.DEFAULT_URL)
    args = parser.parse_args()
    url, n = args.database_url, args.rows
    if not url.startswith("postgres"):
        raise SystemExit("The benchmark needs PostgreSQL (DATABASE_URL=postgres://…).")
    print(f"storing floor benchmark: N={n}, {args.repeat} repetitions, database {url.rsplit('/', 1)[1]}")
    import_bench.prepare_database(url)
    import_bench.setup_django(url)
    dept = import_bench.ensure_department()
    from apps.catalog.spec import TypeSpec

    columns = len(TypeSpec.load("penalty").fields)
    csv_path, _ = import_bench.data_files(n, xlsx=False)

    imported = import_bench.run_worker(url, "import", csv_path)  # what the schema in use stores for these rows
    print(f"  imported once: {imported['seconds']:.1f}s, {imported['summary']}")
    stored = StoredRows(dept.pk)
    stored.capture()
    print(f"  captured: {stored.describe()}")

    copies, floors, steps = [], [], []
    for rep in range(1, args.repeat + 1):
        copies.append(copy_floor(url, csv_path, columns))
        floor = stored.store()
        floors.append(floor["seconds"])
        steps.append(floor["steps"])
        print(f"  run {rep}: COPY {copies[-1]:.2f}s, storing floor {floors[-1]:.2f}s in {floor['segments']} segments")

    copy_rate, floor_rate = n / statistics.median(copies), n / statistics.median(floors)
    records = stored.counts[stored.record_table]
    print()
    print(f"results (N={n} file rows, medians of {args.repeat}; rows/s = N / seconds)")
    print(f"  raw COPY into a bare {columns}-text-column table   {copy_rate:>10,.0f}")
    print(
        f"  storing floor, schema in use                {floor_rate:>10,.0f}   {floor_rate / copy_rate:.1%} of COPY"
        f"   ({records / statistics.median(floors):,.0f} records/s)"
    )
    print(
        "  storing floor by step (medians): "
        + ", ".join(f"{key} {statistics.median(s[key] for s in steps):.2f}s" for key in steps[0])
    )
    one = n / imported["seconds"]
    print(
        f"  the one CSV import above (not a median): {one:,.0f} rows/s, {one / copy_rate:.1%} of COPY, "
        f"{one / floor_rate:.1%} of the storing floor"
    )


if __name__ == "__main__":
    main()

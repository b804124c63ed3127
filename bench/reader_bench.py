"""Spreadsheet reader benchmark: the platform's streaming reader against python-calamine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credit_bench_reader .venv/bin/python bench/reader_bench.py
    … --sizes 25000,100000 --repeat 1        # a quick look
    … --bombs                                 # also feed the zip bombs of the security issue to calamine

Generates 行政处罚 rows in the national template (import_bench's generator: fixed seed, shared strings and
styled dates as Excel writes them) as .csv and .xlsx under var/bench/, then, each measurement in a fresh
process so its peak RSS is its own:

* speed at ``--speed-rows`` (default 100,000), medians of ``--repeat`` runs;
* peak RSS, and its growth over the process before reading, at every size of ``--sizes``
  (default 25 k, 100 k, 400 k, 1 M rows): it must stay flat.

Readers (``--modes``):

  csv            ``read_sheet`` of the .csv (every input but record uploads reads so)
  xlsx           ``read_sheet`` of the .xlsx, shared strings within SPREADSHEET_SHARED_STRINGS_MEMORY_MB
  xlsx-unbounded the same with a budget no file reaches: the table held whole, as before the spill
  csv-table      ``open_table(…).records()``: the record upload's reading (header matched, rows keyed by field)
  xlsx-table     the same for the .xlsx
  calamine       python-calamine (Rust): the zip directory checked by our guards first, then the first
                 sheet loaded and iterated. Not a project dependency; the bench finds it in var/pylib
                 (``pip install --target var/pylib python-calamine==0.9.1``) or the venv.

``--bombs`` builds the three bombs of the security issue (``apps/records/tests/bombs.py``) at
``--bomb-mb`` inflated and reads each with the platform reader and with calamine (under an address-space
limit): which refuses, how much memory it took, how long.

Never run as a test. The machine is shared: quote ratios from one run.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "var" / "bench"
PYLIB = BASE_DIR / "var" / "pylib"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/credit_bench_reader"
MODES = ("csv", "xlsx", "xlsx-unbounded", "csv-table", "xlsx-table", "calamine")
UNBOUNDED_MB = "1000000"

sys.path.insert(0, str(BASE_DIR))


def status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


# --- worker: one reading in its own process -------------------------------------------------------------


def _django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def worker(args) -> None:
    mode, path = args.worker, Path(args.file)
    if mode == "xlsx-unbounded":
        os.environ["SPREADSHEET_SHARED_STRINGS_MEMORY_MB"] = UNBOUNDED_MB
    # A 1 M-row sheet inflates to ~580 MB, past the web upload's per-part limit (500 MB): lifted here, the
    # bench measures memory and speed. (The zip bombs below run with the limits as configured.)
    os.environ["SPREADSHEET_MAX_MEMBER_MB"] = "4096"
    _django(args.database_url)
    from apps.records.intake.reader import read_sheet
    from apps.records.intake.rows import SheetLimits

    big = SheetLimits(max_bytes=1 << 40)  # the bench's files are past the web-upload limit on purpose
    result: dict = {}
    if mode.endswith("-table"):
        from apps.catalog.spec import TypeSpec
        from apps.records.intake.table import open_table

        spec = TypeSpec.load("penalty")
        from django.db import connection

        connection.close()
    if mode == "calamine":
        if PYLIB.exists():
            sys.path.insert(0, str(PYLIB))
        import zipfile

        import python_calamine

        from apps.records.intake.guards import Limits, check_member_count, check_package
    start_rss = status_mb("VmRSS")
    started = time.perf_counter()
    rows = 0
    if mode in ("csv", "xlsx", "xlsx-unbounded"):
        with path.open("rb") as handle:
            for _row in read_sheet(handle, path.name, big):
                rows += 1
    elif mode.endswith("-table"):
        with path.open("rb") as handle:
            table = open_table(handle, path.name, spec)
            for _record in table.records():
                rows += 1
        rows += 1  # the header, counted by the other modes
    elif mode == "calamine":
        limits = Limits.current()
        with path.open("rb") as handle:  # as much of our guarding as calamine allows: the zip directory
            check_member_count(handle, limits)
            with zipfile.ZipFile(handle) as archive:
                check_package(archive, limits)
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        for _row in workbook.get_sheet_by_index(0).iter_rows():
            rows += 1
        from importlib.metadata import version

        result["version"] = version("python-calamine")
    result.update(
        rows=rows,
        seconds=time.perf_counter() - started,
        start_mb=start_rss,
        peak_mb=status_mb("VmHWM"),
    )
    print(json.dumps(result))


def bomb_worker(args) -> None:
    """Read one bomb with one reader; print what happened (the parent sets the address-space limit)."""
    _django(args.database_url)
    path = Path(args.file)
    if args.worker == "bomb-calamine":
        if PYLIB.exists():
            sys.path.insert(0, str(PYLIB))
        import python_calamine
    from apps.records.intake.guards import UploadError
    from apps.records.intake.reader import read_sheet
    from apps.records.intake.rows import SheetLimits

    start_rss = status_mb("VmRSS")
    started = time.perf_counter()
    outcome = "read"
    try:
        if args.worker == "bomb-calamine":
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
            longest = 0
            for row in workbook.get_sheet_by_index(0).iter_rows():
                longest = max([longest, *(len(str(v)) for v in row)])
            outcome = f"read (longest cell {longest:,} chars)"
        else:
            for _row in read_sheet(path.open("rb"), "bomb.xlsx", SheetLimits(max_bytes=1 << 40)):
                pass
    except UploadError as exc:
        outcome = "refused: " + exc.messages[0][:60]
    except MemoryError:
        outcome = "MemoryError (address-space limit)"
    except Exception as exc:  # noqa: BLE001 — reported, it is what the bench is about
        outcome = f"{type(exc).__name__}: {str(exc)[:60]}"
    print(
        json.dumps(
            {
                "outcome": outcome,
                "seconds": time.perf_counter() - started,
                "growth_mb": status_mb("VmHWM") - start_rss,
            }
        )
    )


def run(url: str, mode: str, path: Path, *, limit_as: int | None = None) -> dict:
    def cap():
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

    command = [sys.executable, __file__, "--worker", mode, "--file", str(path), "--database-url", url]
    done = subprocess.run(command, cwd=BASE_DIR, capture_output=True, text=True, check=False, preexec_fn=cap)  # noqa: PLW1509
    if done.returncode != 0:
        if limit_as:
            return {
                "outcome": f"killed (exit {done.returncode}): {done.stderr.strip()[-120:]}",
                "seconds": 0,
                "growth_mb": 0,
            }
        raise SystemExit(f"worker {mode} {path.name} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- parent ------------------------------------------------------------------------------------------------


def data_files(url: str, sizes) -> dict[int, tuple[Path, Path]]:
    sys.path.insert(0, str(BASE_DIR / "bench"))
    import benchlib

    benchlib.setup_django(url, LOG_LEVEL="WARNING")
    from import_bench import data_files as generate  # the import benchmark's rows: the same files

    return {n: generate(n) for n in sizes}


def bombs(url: str, megabytes: int) -> None:
    from apps.records.tests import bombs as build

    folder = DATA_DIR / "bombs"
    folder.mkdir(parents=True, exist_ok=True)
    inflated = megabytes * build.MB
    print(f"\nzip bombs, {megabytes:,} MB inflated each (calamine under a 4 GB address-space limit)")
    print(f"  {'bomb':<16}{'on disk':>10}  {'reader':<10}{'s':>7}{'RSS +MB':>10}  outcome")
    for shape, maker in (
        ("workbook.xml", build.workbook_bomb),
        ("one cell", build.cell_bomb),
        ("shared strings", build.shared_strings_bomb),
    ):
        path = folder / f"{shape.replace(' ', '_')}-{megabytes}.xlsx"
        if not path.exists():
            maker(path, inflated)
        for reader in ("platform", "calamine"):
            result = run(url, f"bomb-{reader}", path, limit_as=4 << 30)
            print(
                f"  {shape:<16}{path.stat().st_size / 1e6:>8.1f}MB  {reader:<10}{result['seconds']:>7.1f}"
                f"{result['growth_mb']:>10.0f}  {result['outcome']}",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="25000,100000,400000,1000000")
    parser.add_argument("--speed-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--bombs", action="store_true")
    parser.add_argument("--bomb-mb", type=int, default=256)
    parser.add_argument("--no-rss", action="store_true", help="speed only")
    parser.add_argument("--no-speed", action="store_true", help="peak RSS only")
    parser.add_argument("--tag", default="", help="suffix of the figures file var/bench/reader_bench<tag>.json")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return bomb_worker(args) if args.worker.startswith("bomb-") else worker(args)

    url = args.database_url
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    if not args.no_speed:
        sizes = sorted(set(sizes) | {args.speed_rows})
    modes = [m for m in args.modes.split(",") if m]
    files = data_files(url, sizes)
    print(f"reader benchmark: modes {', '.join(modes)}; database {url.rsplit('/', 1)[1]}")
    for n, (csv_path, xlsx_path) in files.items():
        print(
            f"  {n:>9,} rows: csv {csv_path.stat().st_size / 1e6:,.1f} MB, xlsx {xlsx_path.stat().st_size / 1e6:,.1f} MB"
        )

    def path_for(mode, n):
        return files[n][0 if mode.startswith("csv") else 1]

    speed = {}
    n = args.speed_rows
    if not args.no_speed:
        print(f"\nspeed at {n:,} rows, median of {args.repeat} (each run a fresh process)")
    times = {mode: [] for mode in modes}
    for _rep in range(args.repeat if not args.no_speed else 0):
        for mode in modes:  # interleaved, so a change in the machine's load falls on every reader alike
            times[mode].append(run(url, mode, path_for(mode, n))["seconds"])
    for mode in modes if not args.no_speed else ():
        speed[mode] = statistics.median(times[mode])
        print(f"  {mode:<16}{speed[mode]:>7.2f} s  {n / speed[mode]:>10,.0f} rows/s", flush=True)

    rss = {}
    if not args.no_rss:
        print("\npeak RSS (MB) and its growth over the process before reading (+MB), by rows")
        print("  " + f"{'':<16}" + "".join(f"{s:>20,}" for s in sizes))
        for mode in modes:
            cells = []
            for size in sizes:
                result = run(url, mode, path_for(mode, size))
                rss[(mode, size)] = result
                cells.append(f"{result['peak_mb']:>10.0f} (+{result['peak_mb'] - result['start_mb']:>5.0f})")
            print(f"  {mode:<16}" + "".join(f"{c:>20}" for c in cells), flush=True)
    out = DATA_DIR / f"reader_bench{args.tag}.json"
    out.write_text(
        json.dumps(
            {
                "speed_rows": n,
                "speed": speed,
                "rss": {f"{m}@{s}": r for (m, s), r in rss.items()},
            },
            indent=1,
        )
    )
    print(f"\n(figures also in {out.relative_to(BASE_DIR)})")
    if args.bombs:
        bombs(url, args.bomb_mb)


if __name__ == "__main__":
    main()

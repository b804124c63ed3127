"""Import benchmark: raw COPY vs the platform's full import of the same penalty rows (.csv and .xlsx).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credit_bench .venv/bin/python bench/import_bench.py [--rows N]

Generates N 行政处罚 rows in the national template (fixed seed, ~3% bad rows)
as .csv and .xlsx under var/bench/, creates and migrates the bench database if
needed, then times, in one run (medians over --repeat runs):

  (a) COPY of the CSV into a bare 30-text-column table — the raw floor;
  (f) the storing floor of the schema in use: the rows the CSV import stored, stored again already
      valid by INSERT … SELECT in segments (benchlib.StoredRows; floor_bench.py on its own);
  (a') the fastest available xlsx parse (python-calamine if installed, else the
       platform's own streaming reader) of the .xlsx, plus COPY of its rows;
  (b) the full import of the .csv and (c) of the .xlsx, through the same code
      path as ``manage.py import_records`` (parse, validate, link subjects,
      deadlines, insert), each in a fresh process so its peak RSS is its own;
  and, for memory, the two imports and a parse-only pass at a second, smaller N.

Every import figure is printed as % of COPY and % of the storing floor. Never run as a test.
``--profile`` adds a cProfile of one CSV import; ``--backfill 400000,2000000`` runs only
``import_records`` of CSVs of those sizes (rows/s, peak RSS).
"""

import argparse
import contextlib
import datetime
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "var" / "bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/credit_bench"
DEPARTMENT = {"code": "bench", "name": "乳山市基准测试局", "uscc": "11371083MB0000000M", "region_code": "371083"}
SEED = 20241010
BAD_SHARE = 0.03

sys.path.insert(0, str(BASE_DIR))

from benchlib import COPY_TABLE, StoredRows, copy_floor, peak_rss_mb  # noqa: E402 — bench/ is on sys.path as a script


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- data -----------------------------------------------------------------------------------------


def _id_number(rng: random.Random) -> str:
    from stdnum.cn import ric

    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(16000))
    body = f"371083{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit


def generate_rows(n: int, department: dict, fields: list, seed: int = SEED):
    """N rows keyed by field code: valid except ~3% with one typical fault each."""
    from apps.subjects.codes import build_uscc

    rng = random.Random(seed)
    kinds = ["警告", "罚款", "罚款;没收违法所得", "责令停产停业;罚款", "通报批评"]
    for i in range(1, n + 1):
        subject = i if rng.random() < 0.8 else rng.randrange(1, i + 1)  # some subjects come back
        kind = rng.choices(["法人及非法人组织", "自然人", "个体工商户"], weights=[85, 10, 5])[0]
        decided = datetime.date(2024, 7, 1) + datetime.timedelta(days=rng.randrange(90))
        penalty = rng.choice(kinds)
        row = {
            "CF_XDR_MC": f"乳山市{['海洋', '银滩', '金岭', '大孤山'][subject % 4]}商贸有限公司{subject}",
            "CF_XDR_LB": kind,
            "CF_WSH": f"乳市基罚〔2024〕{i}号",
            "CF_WFXW": rng.choice(["销售不合格产品", "未按规定明码标价", "无证经营", "虚假宣传"]),
            "CF_SY": f"经查，当事人于{decided:%Y年%m月%d日}存在违法行为，事实清楚，证据确凿。",
            "CF_YJ": "《中华人民共和国产品质量法》第四十九条",
            "CF_CFLB": penalty,
            "CF_NR": f"{penalty.replace(';', '、')}，限期改正。",
            "CF_JDRQ": decided,
            "CF_CFJG": department["name"],
            "CF_CFJGDM": department["uscc"],
            "CF_SJLY": department["name"],
            "CF_SJLYDM": department["uscc"],
        }
        if "罚款" in penalty:
            row["CF_NR_FK"] = round(rng.randrange(1, 500000) / 10000, 4)
        if "没收违法所得" in penalty:
            row["CF_NR_WFFF"] = round(rng.randrange(1, 100000) / 10000, 4)
        if kind == "自然人":
            row["CF_XDR_MC"] = f"张{['伟', '芳', '娜', '敏', '静'][subject % 5]}{subject}"
            row["CF_XDR_ZJLX"] = "身份证"
            row["CF_XDR_ZJHM"] = _id_number(rng)
        else:
            prefix = "92" if kind == "个体工商户" else "91"
            row["CF_XDR_SHXYM"] = build_uscc(prefix, "371083", f"{subject:08d}")
            row["CF_FRDB"] = rng.choice(["王强", "李娜", "刘洋", "陈静"])
        if rng.random() < BAD_SHARE:
            fault = rng.randrange(6)
            if fault == 0 and "CF_XDR_SHXYM" in row:
                row["CF_XDR_SHXYM"] = row["CF_XDR_SHXYM"][:-1] + ("0" if row["CF_XDR_SHXYM"][-1] != "0" else "1")
            elif fault == 1:
                row["CF_JDRQ"] = "2024-02-30"
            elif fault == 2:
                del row["CF_SY"]
            elif fault == 3:
                row["CF_CFLB"] = "拘役"
            elif fault == 4:
                row["CF_NR_FK"] = "-1"
                row["CF_CFLB"] = "罚款"
            else:
                row["CF_XDR_LB"] = "自然人"
                row["CF_FRDB"] = "王强"
        yield [row.get(f.code) for f in fields]


def write_csv(path: Path, header, rows):
    import csv

    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v.isoformat() if isinstance(v, datetime.date) else v for v in row])


def _col(index):
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_xlsx(path: Path, header, rows):
    """A workbook as Excel saves one — shared strings, dates as styled serial numbers — written in a stream."""
    epoch = datetime.date(1899, 12, 30)
    strings: dict[str, int] = {}
    letters = [_col(i) for i in range(len(header))]

    def cell(ref, value):
        if value is None or value == "":
            return ""
        if isinstance(value, datetime.date):
            return f'<c r="{ref}" s="1"><v>{(value - epoch).days}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        index = strings.setdefault(value, len(strings))
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as package:
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {ns}><sheetData>'.encode())
            for r, row in enumerate([header, *rows], start=1):
                cells = "".join(cell(f"{letters[c]}{r}", v) for c, v in enumerate(row))
                sheet.write(f'<row r="{r}">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        with package.open("xl/sharedStrings.xml", "w", force_zip64=True) as shared:
            shared.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} uniqueCount="{len(strings)}">'.encode())
            for text in strings:
                shared.write(f"<si><t>{escape(text)}</t></si>".encode())
            shared.write(b"</sst>")
        package.writestr(
            "xl/styles.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {ns}>'
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="2"><xf/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>',
        )
        package.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="行政处罚" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        package.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        )
        package.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{main}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{main}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/></Types>',
        )


def data_files(n: int, *, xlsx: bool = True) -> tuple[Path, Path | None]:
    """The N-row files (cached in var/bench/); ``xlsx=False``: the CSV only (the large backfill sizes)."""
    from apps.catalog.spec import TypeSpec

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = DATA_DIR / f"penalty-{n}-{SEED}.csv", DATA_DIR / f"penalty-{n}-{SEED}.xlsx"
    fields = TypeSpec.load("penalty").fields
    header = [f.label for f in fields]
    for path, write in ((csv_path, write_csv), (xlsx_path, write_xlsx) if xlsx else (None, None)):
        if path is None or path.exists():
            continue
        started = time.perf_counter()
        partial = path.with_name(path.name + ".partial")  # an interrupted run leaves no half file in the cache
        write(partial, header, generate_rows(n, DEPARTMENT, fields))
        partial.rename(path)
        print(f"  generated {n} rows in {time.perf_counter() - started:.1f}s: {path.name}")
    return csv_path, xlsx_path if xlsx else None


# --- database ----------------------------------------------------------------------------------------


def prepare_database(url: str):
    import psycopg

    dbname = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", [dbname]).fetchone():
            conn.execute(f'create database "{dbname}"')
            print(f"  created database {dbname}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=BASE_DIR,
        env=os.environ | {"DATABASE_URL": url},
        check=True,
    )


def ensure_department():
    from apps.accounts.models import Department, Power

    dept, _ = Department.objects.update_or_create(
        code=DEPARTMENT["code"], defaults={k: v for k, v in DEPARTMENT.items() if k != "code"}
    )
    dept.powers.add(Power.objects.get(code="penalty"))
    return dept


def wipe(department_code: str):
    """Forget what a previous run imported, so every run inserts (the bench database only)."""
    from django.db import connection

    from apps.accounts.models import Department

    StoredRows(Department.objects.get(code=department_code).pk).wipe_department()
    connection.close()


def xlsx_parse_copy_floor(url: str, xlsx_path: Path, columns: int) -> tuple[float, str]:
    """The fastest xlsx parse available here, plus COPY of the parsed rows."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(f"truncate {COPY_TABLE}")
        conn.commit()
        started = time.perf_counter()
        rows, parser = fastest_xlsx_rows(xlsx_path)
        with conn.cursor() as cur, cur.copy(f"copy {COPY_TABLE} from stdin") as copy:
            next(rows)  # header
            for row in rows:
                values = [None if v in ("", None) else str(v) for v in row[:columns]]
                copy.write_row(values + [None] * (columns - len(values)))
        conn.commit()
        return time.perf_counter() - started, parser


def fastest_xlsx_rows(xlsx_path: Path):
    try:
        import python_calamine
    except ImportError:
        from apps.catalog.spec import TypeSpec
        from apps.records.intake.table import open_table

        handle = xlsx_path.open("rb")
        table = open_table(handle, xlsx_path.name, TypeSpec.load("penalty"))
        return (row.values for row in table.source.rows(with_merges=False)), "platform streaming reader"
    workbook = python_calamine.CalamineWorkbook.from_path(str(xlsx_path))
    from importlib.metadata import version

    return iter(workbook.get_sheet_by_index(0).iter_rows()), f"python-calamine {version('python-calamine')}"


# --- workers (fresh processes: their peak RSS is their own) ---------------------------------------------


def worker(args):
    setup_django(args.database_url)
    from io import StringIO

    from django.core.management import call_command

    result = {}
    if args.worker == "import":
        import logging

        logging.getLogger("apps.records.intake.staged").setLevel(logging.INFO)  # its step timings, printed below
        wipe(DEPARTMENT["code"])
        out = StringIO()
        profiler = None
        if args.profile_to:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        call_command(
            "import_records",
            args.file,
            "--type",
            "penalty",
            "--department",
            DEPARTMENT["code"],
            "--no-rejected",
            stdout=out,
            stderr=StringIO(),
        )
        result["seconds"] = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile_to)
        result["summary"] = json.loads(out.getvalue().strip().splitlines()[-1])
    else:  # parse only: the platform reader, no database writes
        from apps.catalog.spec import TypeSpec
        from apps.records.intake.table import open_table

        started = time.perf_counter()
        with open(args.file, "rb") as handle:
            table = open_table(handle, os.path.basename(args.file), TypeSpec.load("penalty"))
            result["rows"] = sum(1 for _ in table.records())
        result["seconds"] = time.perf_counter() - started
    result["max_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_worker(url, mode, path, profile_to=None) -> dict:
    command = [sys.executable, __file__, "--worker", mode, "--file", str(path), "--database-url", url]
    if profile_to:
        command += ["--profile-to", str(profile_to)]
    done = subprocess.run(command, cwd=BASE_DIR, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # The staged path logs where its time went (stage, look-ups, checks, build, store by chunk).
    result["steps"] = [
        line.split("staged import: ", 1)[1] for line in done.stderr.splitlines() if "staged import: " in line
    ]
    # A large .xlsx is parsed in a child process (apps/records/intake/xlsx_process.py), which reports its own
    # peak RSS in that line: the import's memory is both processes'.
    marker = "reader process peak RSS "
    result["reader_rss_mb"] = max(
        (float(line.split(marker, 1)[1].split(" MB", 1)[0]) for line in result["steps"] if marker in line), default=0
    )
    return result


def backfill(url: str, sizes: list[int]) -> None:
    """import_records as the administrator's backfill: one CSV import per size, each in a fresh process."""
    print(f"import_records backfill: {', '.join(f'{n:,}' for n in sizes)} rows, database {url.rsplit('/', 1)[1]}")
    prepare_database(url)
    setup_django(url)
    ensure_department()
    results = []
    for n in sizes:
        csv_path, _ = data_files(n, xlsx=False)
        result = run_worker(url, "import", csv_path)
        results.append((n, csv_path.stat().st_size, result))
        print(
            f"  {n:>9,} rows: {result['seconds']:.0f} s, {n / result['seconds']:,.0f} rows/s, "
            f"peak RSS {result['max_rss_mb']:.0f} MB, {result['summary']}",
            flush=True,
        )
        for line in result["steps"]:
            print(f"    staged path: {line}")
    print()
    print("| rows | CSV size | time | rows/s | peak RSS | accepted / rejected / duplicates |")
    print("|---|---|---|---|---|---|")
    for n, size, result in results:
        summary = result["summary"]
        print(
            f"| {n:,} | {size / 1e6:,.0f} MB | {result['seconds']:,.0f} s | {n / result['seconds']:,.0f} "
            f"| {result['max_rss_mb']:.0f} MB | {summary['accepted']:,} / {summary['rejected']:,} / {summary['duplicates']:,} |"
        )


# --- main -----------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="N rows (default 10,000: about two minutes)")
    parser.add_argument("--small-rows", type=int, default=None, help="second N for the memory comparison (default N/4)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--profile", action="store_true", help="also profile one CSV import (cProfile, top 30)")
    parser.add_argument("--worker", choices=["import", "parse"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    parser.add_argument(
        "--backfill",
        metavar="N,N…",
        help="only `manage.py import_records` of CSVs of these sizes (e.g. 400000,2000000): rows/s and peak RSS",
    )
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if args.backfill:
        return backfill(args.database_url, [int(n) for n in args.backfill.split(",")])

    url = args.database_url
    if not url.startswith("postgres"):
        raise SystemExit("The benchmark needs PostgreSQL (DATABASE_URL=postgres://…).")
    n, small = args.rows, args.small_rows or max(args.rows // 4, 100)
    print(f"import benchmark: N={n}, second N={small}, {args.repeat} repetitions, database {url.rsplit('/', 1)[1]}")
    prepare_database(url)
    setup_django(url)
    dept = ensure_department()
    from apps.catalog.spec import TypeSpec

    columns = len(TypeSpec.load("penalty").fields)
    stored = StoredRows(dept.pk)
    csv_path, xlsx_path = data_files(n)
    small_csv, small_xlsx = data_files(small)
    print(f"  files: csv {csv_path.stat().st_size / 1e6:.1f} MB, xlsx {xlsx_path.stat().st_size / 1e6:.1f} MB")

    times = {"copy": [], "storing_floor": [], "xlsx_floor": [], "csv_import": [], "xlsx_import": []}
    floor_steps = []
    rss = {}
    reader_rss = {}  # the .xlsx reader process's own peak, when the import started one
    summaries = {}
    steps = {}
    xlsx_parser = ""
    for rep in range(1, args.repeat + 1):
        times["copy"].append(copy_floor(url, csv_path, columns))
        seconds, xlsx_parser = xlsx_parse_copy_floor(url, xlsx_path, columns)
        times["xlsx_floor"].append(seconds)
        for kind, path in (("csv", csv_path), ("xlsx", xlsx_path)):
            result = run_worker(url, "import", path)
            times[f"{kind}_import"].append(result["seconds"])
            steps[kind] = result["steps"]
            rss[(kind, n)] = max(rss.get((kind, n), 0), result["max_rss_mb"])
            reader_rss[(kind, n)] = max(reader_rss.get((kind, n), 0), result["reader_rss_mb"])
            summaries[kind] = result["summary"]
            if kind == "csv":
                # The rows this import stored, stored again already valid: the schema's own floor.
                stored.capture()
                floor = stored.store()
                times["storing_floor"].append(floor["seconds"])
                floor_steps.append(floor["steps"])
        print(
            f"  run {rep}: COPY {times['copy'][-1]:.2f}s, storing floor {times['storing_floor'][-1]:.2f}s, "
            f"xlsx parse+COPY {times['xlsx_floor'][-1]:.2f}s, "
            f"CSV import {times['csv_import'][-1]:.1f}s, XLSX import {times['xlsx_import'][-1]:.1f}s"
        )
    for kind, path in (("csv", small_csv), ("xlsx", small_xlsx)):
        result = run_worker(url, "import", path)
        rss[(kind, small)], reader_rss[(kind, small)] = result["max_rss_mb"], result["reader_rss_mb"]
    parse = {}
    for kind, paths in (("csv", (small_csv, csv_path)), ("xlsx", (small_xlsx, xlsx_path))):
        for size, path in zip((small, n), paths, strict=True):
            parse[(kind, size)] = run_worker(url, "parse", path)

    median = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: n / v for k, v in median.items()}
    floor_records = stored.counts[stored.record_table]

    def against_floors(key):
        return (
            f"{rate[key] / rate['copy']:6.1%} of COPY   {rate[key] / rate['storing_floor']:6.1%} of the storing floor"
        )

    print()
    print(f"results (N={n} file rows, medians of {args.repeat}; every rate is N / seconds)")
    print(f"  (a)  COPY into a bare {columns}-text-column table    {rate['copy']:>10,.0f}")
    print(
        f"  (f)  storing floor, schema in use                 {rate['storing_floor']:>10,.0f}   "
        f"{rate['storing_floor'] / rate['copy']:6.1%} of COPY   ({stored.describe()}; "
        f"{floor_records / median['storing_floor']:,.0f} records/s)"
    )
    print(f"  (a') xlsx parse + COPY ({xlsx_parser})  {rate['xlsx_floor']:>10,.0f}")
    print(
        f"  (b)  platform import, CSV                         {rate['csv_import']:>10,.0f}   {against_floors('csv_import')}"
    )
    print(f"       summary {summaries['csv']}")
    print(
        f"  (c)  platform import, XLSX                        {rate['xlsx_import']:>10,.0f}   {against_floors('xlsx_import')}"
    )
    print(f"       summary {summaries['xlsx']}")
    print(f"  XLSX import / CSV import throughput:     {rate['xlsx_import'] / rate['csv_import']:.1%}")
    print(f"  XLSX import time / (xlsx parse + COPY):  {median['xlsx_import'] / median['xlsx_floor']:.1f}×")
    print(
        "  storing floor by step (last run): "
        + ", ".join(f"{table} {seconds:.2f}s" for table, seconds in floor_steps[-1].items())
    )
    for kind in ("csv", "xlsx"):
        for line in steps.get(kind, []):
            print(f"  staged path, {kind} (last run): {line}")
    print(
        "  parse only, platform reader (rows/s):   "
        + ", ".join(f"{k} {parse[(k, n)]['rows'] / parse[(k, n)]['seconds']:,.0f}" for k in ("csv", "xlsx"))
    )
    print("peak RSS (MB), each in a fresh process (Django itself included)")

    def with_reader(kind, size):
        child = reader_rss.get((kind, size))
        return f"{rss[(kind, size)]:.0f}" + (f" + reader process {child:.0f}" if child else "")

    for kind in ("csv", "xlsx"):
        print(
            f"  {kind:4} import: N={small}: {with_reader(kind, small)}   N={n}: {with_reader(kind, n)}     "
            f"parse only: N={small}: {parse[(kind, small)]['max_rss_mb']:.0f}   N={n}: {parse[(kind, n)]['max_rss_mb']:.0f}"
        )
    if args.profile:
        profile_path = DATA_DIR / "csv-import.prof"
        run_worker(url, "import", csv_path, profile_to=profile_path)
        import pstats

        print("\nprofile of one CSV import (cProfile, by own time):")
        with contextlib.redirect_stdout(io.StringIO()) as text:
            pstats.Stats(str(profile_path)).sort_stats("tottime").print_stats(30)
        print(text.getvalue())


if __name__ == "__main__":
    main()

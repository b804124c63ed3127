"""The shared-strings table beyond its memory budget spills to disk and still reads every cell right."""

import io
import random
import zipfile
from xml.sax.saxutils import escape

import pytest

from apps.catalog.spec import TypeSpec
from apps.records.intake.guards import UploadError
from apps.records.intake.shared_strings import SharedStrings
from apps.records.intake.table import open_table
from apps.records.intake.xlsx_source import XlsxSource, column_letters

from .upload_support import labels, penalty_cells

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

TINY_MB = 0.02  # 20 KB: a few hundred strings


def test_every_string_is_found_in_memory_or_on_disk_in_any_order():
    texts = [f"第{n}项·" + "长" * (n % 40) for n in range(5000)]
    table = SharedStrings(iter(texts), budget_bytes=8_000)
    order = list(range(len(texts)))
    random.Random(15).shuffle(order)
    assert [table.get(i, 2) for i in order] == [texts[i] for i in order]
    assert 0 < len(table.head) < 100 and table.spilled == len(texts) - len(table.head)
    assert table.disk_reads > 1000  # most were not in the cache: they came back from the file
    assert table.memory_bytes <= 8_000
    # A string read back from disk twice in a row: the second time from the cache.
    reads = table.disk_reads
    table.get(4321, 2)
    table.get(4321, 2)
    assert table.disk_reads <= reads + 1
    with pytest.raises(UploadError, match="第7行：工作簿的共享字符串表损坏"):
        table.get(len(texts), 7)
    with pytest.raises(UploadError, match="共享字符串表损坏"):
        table.get(-1, 7)
    table.close()


def test_a_budget_larger_than_the_table_keeps_it_all_in_memory():
    texts = [f"名称{n}" for n in range(300)]
    table = SharedStrings(iter(texts), budget_bytes=32 * 1024 * 1024)
    assert table.get(299, 2) == "名称299" and table.get(0, 2) == "名称0"
    assert table.spilled == 0 and len(table.head) == 300 and table._data is None


def shared_strings_xlsx(rows) -> bytes:
    """A workbook as Excel writes one: every text in the shared-strings table, numbered by first use.

    (openpyxl 3.1 writes inline strings, so it cannot make this file.)
    """
    strings: dict[str, int] = {}
    body = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{column_letters(c)}{r}"
            if value is None:
                continue
            if isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="s"><v>{strings.setdefault(str(value), len(strings))}</v></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    sst = "".join(f"<si><t>{escape(t)}</t></si>" for t in strings)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        package.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets><sheet name="行政处罚" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        package.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        package.writestr(
            "xl/worksheets/sheet1.xml", f'<worksheet xmlns="{NS}"><sheetData>{"".join(body)}</sheetData></worksheet>'
        )
        package.writestr("xl/sharedStrings.xml", f'<sst xmlns="{NS}" uniqueCount="{len(strings)}">{sst}</sst>')
    return out.getvalue()


def _name(i):
    return f"乳山市第{i}号商贸有限公司" + "·" * (i % 17)


def _workbook_rows(n):
    rows = [["类别", "名称", "回指"]]
    for i in range(1, n + 1):
        # A value every row repeats, a value new in each row, and one first used ~1,000 rows earlier:
        # the last is long out of the cache when it comes back, so it is read from the spill file.
        rows.append([["警告", "罚款"][i % 2], _name(i), _name(max(i - 1000, 1))])
    return rows


def test_a_workbook_whose_shared_strings_exceed_a_tiny_budget_reads_as_with_a_large_one(settings):
    data = shared_strings_xlsx(_workbook_rows(3000))
    expected = [row.values for row in XlsxSource(io.BytesIO(data)).rows()]
    settings.SPREADSHEET_SHARED_STRINGS_MEMORY_MB = TINY_MB
    source = XlsxSource(io.BytesIO(data))
    assert [row.values for row in source.rows()] == expected
    assert len(expected) == 3001 and expected[2000][2] == _name(1000)
    strings = source.strings
    assert strings.spilled > 2500 and strings.disk_reads > 1000, (strings.spilled, strings.disk_reads)
    assert strings.memory_bytes <= TINY_MB * 1024 * 1024
    # A second pass (the import reads a sheet more than once) finds the same strings.
    assert [row.values for row in source.rows()][-1] == expected[-1]
    source.close()


@pytest.mark.django_db
def test_an_upload_read_with_a_tiny_budget_gives_the_same_records(settings, dept_a):
    rows = [labels()] + [penalty_cells(dept_a, n) for n in range(1, 401)]
    data = shared_strings_xlsx(rows)
    spec = TypeSpec.load("penalty")
    expected = list(open_table(io.BytesIO(data), "a.xlsx", spec).records())
    settings.SPREADSHEET_SHARED_STRINGS_MEMORY_MB = 0.002  # penalty_row repeats most values: a smaller table
    table = open_table(io.BytesIO(data), "a.xlsx", spec)
    assert list(table.records()) == expected and len(expected) == 400
    assert table.source.strings.spilled > 100

"""import_records is the administrator's backfill tool: any file size, the CSV decoded as a stream.

The web upload keeps RECORD_UPLOAD_MAX_MB; the command does not apply it. A CSV's encoding is decided
from a window starting at its first non-ASCII byte (never by decoding the whole file), so a GBK file
whose Chinese text starts megabytes in is still read as GBK, and a file that changes encoding after
the window stops at that row with a Chinese message.
"""

import io
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from apps.catalog.spec import TypeSpec
from apps.records.intake import csv_source
from apps.records.intake.csv_source import CsvSource
from apps.records.intake.guards import UploadError
from apps.records.intake.table import inspect_file
from apps.records.models import Record

from .upload_support import FROZEN, csv_bytes, labels, penalty_cells


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_records", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


@pytest.mark.django_db
def test_the_command_imports_a_file_over_the_web_upload_limit(tmp_path, dept_a, settings):
    # 0 MB: every non-empty file is over the web limit.
    settings.RECORD_UPLOAD_MAX_MB = 0
    rows = [
        labels(),
        penalty_cells(dept_a, 1),
        penalty_cells(dept_a, 2, CF_JDRQ="2024-02-30"),
        penalty_cells(dept_a, 3),
    ]
    data = csv_bytes(rows)
    path = tmp_path / "backfill.csv"
    path.write_bytes(data)

    with pytest.raises(UploadError, match="超过上限 0 MB"):  # the web upload still refuses it
        inspect_file(io.BytesIO(data), path.name, len(data), TypeSpec.load("penalty"))

    out, err = run(str(path), "--type", "penalty", "--department", dept_a.code)
    assert json.loads(out[-1]) == {"accepted": 2, "rejected": 1, "duplicates": 0}
    assert out[:-1] == ["第3行（乳市监罚〔2024〕2号）拒收：处罚决定日期：“2024-02-30”不是有效日期"]
    assert "约 3 行" in err and "已处理 3/3 行" in err
    assert Record.objects.count() == 2


def _ascii_rows(count: int) -> bytes:
    return b"".join(f"row{n},{n:08d}\r\n".encode() for n in range(count))


def test_gbk_whose_first_chinese_character_is_past_the_detection_window():
    head = b"name,code\r\n" + _ascii_rows(120_000)  # ~2 MB of ASCII before any Chinese
    assert len(head) > 2 * csv_source.CSV_DETECT_BYTES
    data = head + "张三,乳山市\r\n".encode("gbk")
    source = CsvSource(io.BytesIO(data))
    assert source.encoding == "gb18030"
    rows = list(source.rows())
    assert rows[-1].values == ["张三", "乳山市"]
    assert len(rows) == 120_002
    assert source.prescan() == (120_002, {})


def test_a_file_that_changes_encoding_after_the_window_stops_with_a_chinese_message(monkeypatch):
    monkeypatch.setattr(csv_source, "CSV_DETECT_BYTES", 4096)
    data = "名称,代码\r\n".encode() + _ascii_rows(2000) + "张三,乳山市\r\n".encode("gbk")
    source = CsvSource(io.BytesIO(data))
    assert source.encoding == "utf-8-sig"  # the window saw UTF-8 only
    with pytest.raises(UploadError) as caught:
        list(source.rows())
    message = "\n".join(caught.value.messages)
    assert "第2002行附近" in message and "不是 UTF-8 编码" in message and "另存为“CSV UTF-8" in message


@pytest.mark.django_db
def test_the_command_keeps_the_rows_before_an_encoding_change_and_says_where_it_stopped(tmp_path, dept_a, monkeypatch):
    monkeypatch.setattr(csv_source, "CSV_DETECT_BYTES", 1024)
    # Past the rows the header check reads (a change inside them refuses the file before anything is stored).
    good = csv_bytes([labels(), *(penalty_cells(dept_a, n) for n in range(1, 21))])
    bad = csv_bytes([penalty_cells(dept_a, 21, CF_SY="当事人存在违法行为")], encoding="gbk")
    path = tmp_path / "mixed.csv"
    path.write_bytes(good + bad)
    with pytest.raises(CommandError) as caught:
        run(str(path), "--type", "penalty", "--department", dept_a.code)
    assert "第22行附近的字符不是 UTF-8 编码" in str(caught.value), str(caught.value)
    assert str(caught.value).startswith("导入中断"), str(caught.value)
    assert "此前已处理的 20 行结果已保存" in str(caught.value)
    assert Record.objects.count() == 20  # nothing read before the change is lost

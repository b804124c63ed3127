"""python manage.py import_records: same reader and pipeline, progress on stderr, JSON summary as the last stdout line."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from apps.records.choices import Source
from apps.records.models import Record, Submission, SubmissionBatch

from .upload_support import FROZEN, csv_bytes, labels, penalty_cells, xlsx_bytes

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_records", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


@pytest.mark.django_db
def test_xlsx_import_prints_rejected_rows_and_the_summary_last(tmp_path, dept_a):
    path = tmp_path / "处罚.xlsx"
    rows = [
        labels(),
        penalty_cells(dept_a, 1),
        penalty_cells(dept_a, 2, CF_JDRQ="2024-02-30"),
        penalty_cells(dept_a, 3),
    ]
    path.write_bytes(xlsx_bytes(rows))
    out, err = run(str(path), "--type", "penalty", "--department", dept_a.code)
    assert json.loads(out[-1]) == {"accepted": 2, "rejected": 1, "duplicates": 0}
    assert out[:-1] == ["第3行（乳市监罚〔2024〕2号）拒收：处罚决定日期：“2024-02-30”不是有效日期"]
    assert "已处理 3/3 行" in err
    assert set(Record.objects.values_list("source", flat=True)) == {Source.COMMAND}
    batch = SubmissionBatch.objects.get(source=Source.COMMAND)  # the run is one batch; its rejected row kept
    assert (batch.rows, batch.compliant, batch.accepted, batch.rejected) == (3, 2, 2, 1)
    assert list(Submission.objects.filter(source=Source.COMMAND).values_list("row_number", "batch")) == [(3, batch.pk)]

    out, _ = run(str(path), "--type", "penalty", "--department", dept_a.code, "--no-rejected")
    assert out == [json.dumps({"accepted": 0, "rejected": 1, "duplicates": 2})]  # idempotent


@pytest.mark.django_db
def test_csv_in_gbk(tmp_path, dept_a):
    path = tmp_path / "licence.csv"
    from .factories import license_row
    from .upload_support import as_cells

    path.write_bytes(csv_bytes([labels("license"), as_cells(license_row(dept_a), "license")], encoding="gbk"))
    out, _ = run(str(path), "--type", "license", "--department", dept_a.code)
    assert json.loads(out[-1]) == {"accepted": 1, "rejected": 0, "duplicates": 0}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "nonsense", "--department", "scjgj"], "未知的信息类型“nonsense”"),
        (["--type", "penalty", "--department", "nobody"], "未知的部门代码“nobody”"),
        (["--type", "license", "--department", "swj"], "没有“行政许可”职权"),
    ],
)
def test_unknown_type_or_department(tmp_path, dept_a, dept_b, args, message):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes([labels(), penalty_cells(dept_a)]))
    with pytest.raises(CommandError, match=message):
        run(str(path), *args)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "文件不存在"),
        ("a.xlsx", b"not a zip at all", "不是 Excel 工作簿"),
        ("a.csv", b"", "空的"),
        ("a.csv", "姓名,金额\n张三,1\n".encode(), "未找到可识别的表头行"),
        ("a.pdf", b"%PDF", "不支持的文件类型"),
    ],
)
def test_unreadable_files(tmp_path, dept_a, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(str(path), "--type", "penalty", "--department", dept_a.code)
    assert not Record.objects.exists()


def _manage(*args, database_name=None):
    env = os.environ.copy()
    if database_name:
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database_name}"
        )
    return subprocess.run(
        [sys.executable, "manage.py", "import_records", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the subprocess must reach the test database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_exit_status_in_a_real_process(tmp_path, dept_a):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([labels(), penalty_cells(dept_a, 1), penalty_cells(dept_a, 2, CF_XDR_LB="公司")]))
    done = _manage(
        str(good), "--type", "penalty", "--department", "scjgj", database_name=connection.settings_dict["NAME"]
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"accepted": 1, "rejected": 1, "duplicates": 0}

    fake = tmp_path / "fake.xlsx"
    fake.write_text("行政相对人名称,行政处罚决定书文号\n", encoding="utf-8")
    failed = _manage(
        str(fake), "--type", "penalty", "--department", "scjgj", database_name=connection.settings_dict["NAME"]
    )
    assert failed.returncode != 0
    assert "不是 Excel 工作簿" in failed.stderr
    assert Record.objects.count() == 1

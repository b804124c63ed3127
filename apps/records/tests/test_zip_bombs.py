"""Zip bombs shaped like workbooks: refused with a Chinese message, never a 500, at bounded memory.

The three shapes of the security report, at their real size (about 1 MB on disk each):
``workbook.xml`` inflating to 1 GB, one cell of 1 GB, a 1.5 GB shared-strings table. Peak memory is
measured in a forked child (its own peak RSS before and after the read), so nothing else the test
process did counts. Every reader of spreadsheets goes through the same guards.
"""

import io
import multiprocessing
import os
import resource
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.catalog.spec import TypeSpec
from apps.commitments.imports import read_rows
from apps.evaluation.services import provincial_grades_import
from apps.lists.check_files import batch_queries_read
from apps.records.choices import UploadStatus
from apps.records.intake.guards import SpreadsheetRefused, UploadError
from apps.records.intake.services import upload_process
from apps.records.intake.table import inspect_file, open_table
from apps.records.models import Record, Upload

from . import bombs
from .upload_support import labels, penalty_cells, stored_upload, xlsx_bytes

pytestmark = pytest.mark.django_db
GB = 1024 * bombs.MB
SHAPES = {
    "workbook": (bombs.workbook_bomb, GB),
    "cell": (bombs.cell_bomb, GB),
    "shared_strings": (bombs.shared_strings_bomb, 3 * GB // 2),
}
# A reader that refuses from the directory or stops while inflating stays within a few MB of where it
# started; the readers of the report grew by 1.2-2.2 GB on these files.
BOUND_MB = 40


@pytest.fixture(scope="module")
def bomb_files(tmp_path_factory, django_db_setup, django_db_blocker):
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    with django_db_blocker.unblock():
        for shape, (build, inflated) in SHAPES.items():
            paths[shape] = folder / f"{shape}.xlsx"
            build(paths[shape], inflated)
    return paths


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }


def _child(conn, work):
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.monotonic()
    try:
        work()
        outcome = ("read", "")
    except UploadError as exc:
        outcome = (type(exc).__name__, "；".join(exc.messages))
    except Exception as exc:  # noqa: BLE001 — reported to the parent, which fails the test with it
        outcome = (type(exc).__name__, str(exc))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send((*outcome, (peak - start) / 1024, time.monotonic() - began))
    conn.close()


def in_child(work, timeout=120):
    """Run ``work`` in a forked child: (exception class name, message, peak RSS growth in MB, seconds)."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, work))
    process.start()
    child.close()
    if not parent.poll(timeout):
        process.kill()
        pytest.fail(f"the reader ran over {timeout} s")
    result = parent.recv()
    process.join(10)
    return result


def test_the_bombs_are_small_on_disk_and_huge_inflated(bomb_files):
    for shape, path in bomb_files.items():
        assert os.path.getsize(path) < 5 * bombs.MB, shape
        with zipfile.ZipFile(path) as archive:
            assert max(i.file_size for i in archive.infolist()) >= SHAPES[shape][1]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_upload_check_refuses_each_bomb_from_the_zip_directory(bomb_files, shape):
    spec = TypeSpec.load("penalty")  # read here: the child does not use the database
    path = bomb_files[shape]

    def check():
        with open(path, "rb") as handle:
            inspect_file(handle, "信息.xlsx", os.path.getsize(path), spec)

    kind, message, growth_mb, seconds = in_child(check)
    assert kind == "SpreadsheetRefused", message
    assert "压缩炸弹" in message and "文件不是正常的 Excel 工作簿" in message
    assert growth_mb < BOUND_MB and seconds < 5


@pytest.mark.parametrize("shape", list(SHAPES))
def test_with_the_directory_limits_lifted_the_reader_still_stops_while_inflating(bomb_files, shape, settings):
    """The hard limits while a part inflates, on its own: as if a bomb passed the directory check."""
    settings.SPREADSHEET_MAX_MEMBER_MB = 4096
    settings.SPREADSHEET_MAX_RATIO = 1_000_000
    spec = TypeSpec.load("penalty")
    path = bomb_files[shape]

    def read_all():
        with open(path, "rb") as handle:
            table = open_table(handle, "信息.xlsx", spec)
            for _ in table.records():
                pass

    kind, message, growth_mb, seconds = in_child(read_all)
    assert kind == "SpreadsheetRefused", message
    expected = {
        "workbook": "“xl/workbook.xml”解压后有 1,024 MB",  # parsed whole: at most ~4 MB per the member limit
        "cell": "超过单元格长度上限 32,767 个字符，已停止读取",  # stopped a few hundred KB into the cell
        "shared_strings": "“xl/sharedStrings.xml”解压后有 1,536 MB，超过上限 200 MB",  # held whole: its own limit
    }[shape]
    assert expected in message
    assert growth_mb < BOUND_MB and seconds < 10


def test_the_upload_page_answers_a_bomb_in_chinese_and_stores_nothing(bomb_files, client_for, clerk_a, dept_a):
    path = bomb_files["cell"]
    response = client_for(clerk_a).post(
        reverse("records_upload:create"),
        {"record_type": "penalty", "file": SimpleUploadedFile("处罚.xlsx", path.read_bytes())},
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["file"])
    assert "压缩炸弹" in errors and "解压后有 1,024 MB" in errors
    assert not Upload.objects.exists()


def test_a_stored_bomb_fails_its_upload_visibly_and_stores_nothing(bomb_files, clerk_a, dept_a):
    """A file that reached the worker without the form (a stored file, the import command): the worker refuses it."""
    upload = stored_upload(
        dept_a, clerk_a, bomb_files["shared_strings"].read_bytes(), "b.xlsx", original_name="处罚.xlsx"
    )
    upload_process(upload.pk)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED
    assert upload.error.startswith("导入中断：文件不是正常的 Excel 工作簿")
    assert "压缩炸弹" in upload.error
    assert not Record.objects.exists()


# --- every reader goes through the guards ----------------------------------------------------------------

# 64 MB in one cell at ~1,000:1: over the ratio limit; readers without the guards read it whole.
SMALL_BOMB_BYTES = 64 * bombs.MB


@pytest.fixture(scope="module")
def small_bomb(tmp_path_factory, django_db_setup, django_db_blocker):
    path = tmp_path_factory.mktemp("small") / "bomb.xlsx"
    with django_db_blocker.unblock():
        bombs.cell_bomb(path, SMALL_BOMB_BYTES)
    return path.read_bytes()


def test_batch_credit_checks_refuse_a_bomb(small_bomb):
    with pytest.raises(ValidationError) as caught:
        batch_queries_read(SimpleUploadedFile("名单.xlsx", small_bomb))
    assert "压缩炸弹" in " ".join(caught.value.messages)


def test_the_commitments_import_refuses_a_bomb(small_bomb):
    with pytest.raises(SpreadsheetRefused, match="压缩炸弹"):
        read_rows(io.BytesIO(small_bomb), "承诺.xlsx", len(small_bomb))


def test_the_grade_import_refuses_a_bomb(small_bomb, center):
    with pytest.raises(ValidationError) as caught:
        provincial_grades_import(file=io.BytesIO(small_bomb), original_name="省级.xlsx", user=center)
    assert "压缩炸弹" in " ".join(caught.value.messages)


# --- the other limits, scaled down through the settings ---------------------------------------------------


def test_a_cell_over_the_character_limit_is_named(settings, tmp_path):
    settings.SPREADSHEET_MAX_CELL_CHARS = 300
    path = tmp_path / "long.xlsx"
    bombs.long_cell_xlsx(path, 301)
    with pytest.raises(SpreadsheetRefused) as caught:
        inspect_file(path.open("rb"), "long.xlsx", path.stat().st_size, TypeSpec.load("penalty"))
    assert "第2行B列：单元格内容有 301 个字符，超过上限 300 个字符" in caught.value.messages[0]
    bombs.long_cell_xlsx(path, 300)  # at the limit: read
    spec = TypeSpec.load("penalty")
    table = inspect_file(path.open("rb"), "long.xlsx", path.stat().st_size, spec)
    assert [len(row[spec.fields[1].code]) for row in table.records()] == [300]


def test_too_many_members_are_refused_before_the_directory_is_read(settings, dept_a):
    data = xlsx_bytes([labels(), penalty_cells(dept_a)])
    members = len(zipfile.ZipFile(io.BytesIO(data)).infolist())
    settings.SPREADSHEET_MAX_MEMBERS = members - 1
    with pytest.raises(SpreadsheetRefused, match=f"压缩包中有 {members} 个部件，超过上限 {members - 1} 个"):
        inspect_file(io.BytesIO(data), "a.xlsx", len(data), TypeSpec.load("penalty"))
    settings.SPREADSHEET_MAX_MEMBERS = members
    assert inspect_file(io.BytesIO(data), "a.xlsx", len(data), TypeSpec.load("penalty")).header


def test_normal_workbooks_are_far_inside_the_limits(dept_a):
    rows = [labels()] + [penalty_cells(dept_a, n) for n in range(1, 201)]
    data = xlsx_bytes(rows)
    table = inspect_file(io.BytesIO(data), "a.xlsx", len(data), TypeSpec.load("penalty"))
    assert sum(1 for _ in table.records()) == 200

"""``read_sheet``: the one reader of every spreadsheet input but record uploads (commitments, batch checks, grades)."""

import io

import pytest

from apps.records.intake.guards import UploadError
from apps.records.intake.reader import read_sheet
from apps.records.intake.rows import SheetLimits

from .upload_support import csv_bytes, raw_xlsx


def values(rows):
    return [(row.number, row.values) for row in rows]


def test_the_same_cells_read_the_same_from_xlsx_and_csv():
    cells = [["代码", "金额", "备注"], ["91371083MA3D0001XX", 12.5, None], [None, 3, "是"]]
    from_xlsx = values(read_sheet(io.BytesIO(raw_xlsx(cells)), "a.xlsx"))
    from_csv = values(read_sheet(io.BytesIO(csv_bytes(cells)), "a.csv"))
    assert from_xlsx == [(1, cells[0]), (2, ["91371083MA3D0001XX", 12.5]), (3, [None, 3, "是"])]
    # A .csv gives text only; empty is None in both.
    assert from_csv == [(1, cells[0]), (2, ["91371083MA3D0001XX", "12.5", None]), (3, [None, "3", "是"])]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("代码;名称\r\n1;甲\r\n".encode(), ["代码", "名称"]),  # semicolons (Excel in some locales)
        ("代码\t名称\r\n1\t甲\r\n".encode("utf-16"), ["代码", "名称"]),  # Excel's “Unicode text”
        (
            "名单；2024年\r\n代码,名称\r\n1,甲\r\n2,乙\r\n".encode("gb18030"),
            ["代码", "名称"],
        ),  # a title does not decide
    ],
)
def test_csv_delimiters_and_encodings(data, expected):
    rows = values(read_sheet(io.BytesIO(data), "a.csv"))
    assert expected in [v for _, v in rows]


def test_name_size_and_rows_are_checked_against_the_inputs_limits():
    with pytest.raises(UploadError, match=r"不支持的文件类型（\.csv）：请上传 \.xlsx 工作簿。"):
        read_sheet(io.BytesIO(b"a"), "a.csv", SheetLimits(formats=(".xlsx",)))
    with pytest.raises(UploadError, match="超过上限 1 MB"):
        read_sheet(io.BytesIO(b"a"), "a.csv", SheetLimits(max_bytes=1 << 20), size=2 << 20)
    with pytest.raises(UploadError, match="内容不是 Excel 工作簿"):
        read_sheet(io.BytesIO(b"not a zip"), "a.xlsx")
    rows = read_sheet(io.BytesIO(b"a\n" * 11), "a.csv", SheetLimits(max_rows=10))
    with pytest.raises(UploadError, match="文件超过 10 行"):
        list(rows)
    assert len(list(read_sheet(io.BytesIO(b"a\n" * 10), "a.csv", SheetLimits(max_rows=10)))) == 10


def test_a_damaged_csv_is_explained_not_raised():
    data = ("代码\r\n" + "x" * 200_000 + "\r\n").encode()  # over the csv module's field limit
    with pytest.raises(UploadError, match="第2行附近 CSV 格式有误（某个单元格内容过长）"):
        list(read_sheet(io.BytesIO(data), "a.csv"))

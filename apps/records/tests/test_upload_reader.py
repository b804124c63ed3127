"""Reading .xlsx / .csv into catalog rows: header finding, encodings, formulas, merged cells, bad files."""

import io

import pytest

from apps.catalog.spec import TypeSpec
from apps.records.intake.guards import UploadError
from apps.records.intake.table import inspect_file, open_table
from apps.records.intake.xlsx_source import FORMULA_WITHOUT_VALUE

from .upload_support import csv_bytes, labels, penalty_cells, raw_xlsx, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec():
    return TypeSpec.load("penalty")


def table_of(data: bytes, name: str, spec):
    return inspect_file(io.BytesIO(data), name, len(data), spec)


def refused(data: bytes, name: str, spec) -> str:
    with pytest.raises(UploadError) as caught:
        table_of(data, name, spec)
    return "\n".join(caught.value.messages)


def test_catalog_labels_header_maps_every_field(spec, dept_a):
    table = table_of(xlsx_bytes([labels(), penalty_cells(dept_a)]), "a.xlsx", spec)
    assert sorted(table.header.mapping.values()) == sorted(f.code for f in spec.fields)
    [row] = list(table.records())
    assert row.row_number == 2
    assert row["CF_WSH"] == "乳市监罚〔2024〕1号"


def test_national_template_header_spellings_are_matched(spec, dept_a):
    header = labels()
    header[2] = "行政相对人代码_1（统一社会信用代码）"  # full-width brackets
    header[3] = "行政相对人代码_2(工商注册号)"
    header[0] = " 行政相对人名称* "  # spaces and a required star
    header[19] = "罚款金额(万元)"
    header[13] = "CF_WSH"  # the national field code
    table = table_of(csv_bytes([header, penalty_cells(dept_a)]), "a.csv", spec)
    assert table.header.missing == [] and table.header.unknown == []
    [row] = list(table.records())
    assert row["CF_XDR_SHXYM"] and row["CF_NR_FK"] == "0.5" and row["CF_WSH"]


def test_header_below_a_title_and_a_code_row_is_found(spec, dept_a):
    data = xlsx_bytes(
        [labels(), [f.code for f in spec.fields], penalty_cells(dept_a)],
        before=[["乳山市行政处罚信息报送表"], ["填报单位：乳山市市场监督管理局"]],
    )
    table = table_of(data, "a.xlsx", spec)
    assert table.header.first_row == 3
    assert [r.row_number for r in table.records()] == [5]
    assert any("第3行" in n for n in table.notes) and any("第4行" in n for n in table.notes)


def test_two_row_header_with_group_label(spec, dept_a):
    upper, lower = labels(), [None] * len(labels())
    for column in range(2, 8):  # 行政相对人代码 over its six sub-columns
        lower[column] = upper[column]
        upper[column] = "行政相对人代码" if column == 2 else None
    data = xlsx_bytes([upper, lower, penalty_cells(dept_a)], merges=["C1:H1"])
    table = table_of(data, "a.xlsx", spec)
    assert len(table.header.mapping) == len(spec.fields)
    assert [r.row_number for r in table.records()] == [3]


def test_missing_and_unknown_headers_are_all_listed_at_once(spec, dept_a):
    header = labels()
    header[0] = "当事人名称"  # unknown, and 行政相对人名称 is missing
    header[13] = "文号"  # unknown, and 行政处罚决定书文号 is missing
    message = refused(csv_bytes([header, penalty_cells(dept_a)]), "a.csv", spec)
    assert "缺少必填列：行政相对人名称、行政处罚决定书文号" in message
    assert "无法识别的列：当事人名称、文号" in message


def test_no_recognisable_header_row(spec):
    message = refused(csv_bytes([["姓名", "金额"], ["张三", "1"]]), "a.csv", spec)
    assert "未找到可识别的表头行" in message
    assert "无法识别的列：姓名、金额" in message
    assert "缺少必填列：行政相对人名称" in message


def test_extra_columns_are_ignored_and_noted(spec, dept_a):
    data = csv_bytes([["序号", *labels(), "联系人"], [1, *penalty_cells(dept_a), "王五"]])
    table = table_of(data, "a.csv", spec)
    assert table.header.unknown == ["联系人"]  # 序号 is ignored without a word
    assert "联系人" in " ".join(table.notes)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings(spec, dept_a, encoding):
    data = csv_bytes([labels(), penalty_cells(dept_a, BZ="备注：罚没款已缴清")], encoding=encoding)
    [row] = list(table_of(data, "a.csv", spec).records())
    assert row["CF_XDR_MC"] == "乳山市测试商贸有限公司1"
    assert row["CF_CFLB"] == "罚款;没收违法所得"


def test_tab_separated_csv(spec, dept_a):
    data = csv_bytes([labels(), penalty_cells(dept_a)], delimiter="\t")
    assert len(list(table_of(data, "a.csv", spec).records())) == 1


def test_csv_in_an_unknown_encoding_or_binary(spec):
    assert "无法识别 CSV 文件的编码" in refused(b"a,b\r\n\x80\xff\x80\xff,1\r\n", "a.csv", spec)
    assert "二进制" in refused(b"a,b\r\n\x00\x01,1\r\n", "a.csv", spec)


def test_non_excel_file_named_xlsx(spec, dept_a):
    message = refused(csv_bytes([labels(), penalty_cells(dept_a)]), "a.xlsx", spec)
    assert "不是 Excel 工作簿" in message


def test_damaged_zip_named_xlsx(spec, dept_a):
    data = xlsx_bytes([labels(), penalty_cells(dept_a)])
    assert "无法作为 Excel 工作簿打开" in refused(data[: len(data) // 2], "a.xlsx", spec)


def test_old_xls_named_xlsx(spec):
    assert ".xls" in refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "a.xlsx", spec)


def test_xlsx_named_csv(spec, dept_a):
    assert "改为 .xlsx" in refused(xlsx_bytes([labels(), penalty_cells(dept_a)]), "a.csv", spec)


@pytest.mark.parametrize(
    ("name", "expected"), [("a.xls", "另存为"), ("a.txt", "不支持的文件类型"), ("noext", "无扩展名")]
)
def test_unknown_extensions(spec, name, expected):
    assert expected in refused(b"whatever", name, spec)


def test_empty_file(spec):
    assert "空的" in refused(b"", "a.xlsx", spec)
    assert "空的" in refused(b"", "a.csv", spec)


def test_header_only(spec):
    assert "没有数据行" in refused(csv_bytes([labels(), [None] * 3]), "a.csv", spec)


def test_oversize_is_refused_before_reading(spec, settings):
    settings.RECORD_UPLOAD_MAX_MB = 1
    message = refused(b"x" * (1024 * 1024 + 1), "a.csv", spec)
    assert "超过上限 1 MB" in message


def test_blank_rows_and_serial_only_rows_are_skipped(spec, dept_a):
    rows = [labels(), penalty_cells(dept_a, 1), [None] * 5, ["", " "], penalty_cells(dept_a, 2)]
    table = table_of(csv_bytes(rows), "a.csv", spec)
    assert [r.row_number for r in table.records()] == [2, 5]


def test_formula_cached_value_is_used_and_missing_one_is_a_cell_problem(spec, dept_a):
    good = penalty_cells(dept_a, 1)
    good[19] = {"f": "0.2+0.3", "v": "0.5"}  # 罚款金额 computed, with its cached value
    no_value = penalty_cells(dept_a, 2)
    no_value[15] = {"f": 'CONCATENATE("经查","…")'}  # 违法事实: formula never calculated
    error = penalty_cells(dept_a, 3)
    error[18] = {"f": "VLOOKUP(A4,B:B,2,0)", "v": "#N/A", "t": "e"}
    table = table_of(raw_xlsx([labels(), good, no_value, error]), "a.xlsx", spec)
    first, second, third = table.records()
    assert first["CF_NR_FK"] == 0.5 and not first.cell_problems
    assert second.cell_problems == {"CF_SY": FORMULA_WITHOUT_VALUE}
    assert "#N/A" in third.cell_problems["CF_NR"]


def test_merged_cells_only_top_left_has_the_value(spec, dept_a):
    rows = [labels(), penalty_cells(dept_a, 1), penalty_cells(dept_a, 2, CF_WFXW=None)]
    table = table_of(raw_xlsx(rows, merges=["O2:O3"]), "a.xlsx", spec)
    first, second = table.records()
    assert first["CF_WFXW"] == "销售不合格产品" and not first.merged
    assert "CF_WFXW" not in second and second.merged == {"CF_WFXW": "O2:O3"}


def test_long_numbers_that_lost_digits(spec, dept_a):
    row = penalty_cells(dept_a, CF_XDR_LB="自然人", CF_XDR_SHXYM=None, CF_FRDB=None, CF_XDR_ZJLX="身份证")
    row[12] = 3.71083199001011e17  # an ID number typed into a number cell
    [record] = table_of(raw_xlsx([labels(), row]), "a.xlsx", spec).records()
    assert "科学计数法" in record.cell_problems["CF_XDR_ZJHM"]


def test_data_sheet_is_found_among_others(spec, dept_a):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["请按模板填写"])
    data = wb.create_sheet("处罚数据")
    data.append(labels())
    data.append(penalty_cells(dept_a))
    out = io.BytesIO()
    wb.save(out)
    table = table_of(out.getvalue(), "a.xlsx", spec)
    assert table.sheet_name == "处罚数据"
    assert len(list(table.records())) == 1


def test_rows_are_streamed(spec, dept_a):
    rows = [labels()] + [penalty_cells(dept_a, n) for n in range(1, 301)]
    table = open_table(io.BytesIO(xlsx_bytes(rows)), "a.xlsx", spec)
    records = table.records()
    assert next(records).row_number == 2  # a generator: nothing read ahead of need
    assert table.estimated_rows() == 300


def test_broken_csv_is_explained_in_chinese_without_the_parsers_words(spec, dept_a):
    """A field over the csv module's limit (131,072 characters) raised its English message into the page."""
    rows = [",".join(str(v) for v in r) for r in (labels(), penalty_cells(dept_a))]
    data = ("\n".join(rows) + "\n" + '"' + "长" * 140_000 + '"' + ",x" * (len(labels()) - 1) + "\n").encode("utf-8")
    try:
        table = table_of(data, "a.csv", spec)
        with pytest.raises(UploadError) as caught:
            list(table.records())
        message = "\n".join(caught.value.messages)
    except UploadError as exc:
        message = "\n".join(exc.messages)
    assert "CSV 格式有误" in message and "过长" in message
    assert "field" not in message and "131072" not in message


def test_every_csv_module_message_has_chinese_words():
    import csv

    from apps.records.intake.csv_source import csv_error_reason

    for english in (
        "line contains NUL",
        "new-line character seen in unquoted field - do you need to open the file with newline=''?",
        "unexpected end of data",
    ):
        reason = csv_error_reason(csv.Error(english))
        assert reason and reason.isascii() is False and "NUL" not in reason.replace("（NUL）", "")

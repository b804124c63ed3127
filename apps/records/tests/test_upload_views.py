"""Upload pages end to end: template, upload form, early refusals, progress, result, marked file, permissions."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from apps.catalog.choices import FieldType
from apps.catalog.models import FieldSpec, RecordType
from apps.catalog.normalise import EXCEL_EPOCH
from apps.records.choices import Source, UploadStatus
from apps.records.intake.services import upload_process
from apps.records.models import Record, Submission, Upload

from .upload_support import FROZEN, csv_bytes, labels, penalty_cells, raw_xlsx, xlsx_bytes

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}
    }


@pytest.fixture
def upload_file(client_for, django_capture_on_commit_callbacks):
    """POST a file to the upload form as ``user``; the import runs (eagerly) when the upload commits."""

    def post(user, data: bytes, name: str, type_code="penalty", department=None, follow=True):
        client = client_for(user)
        payload = {"record_type": type_code, "file": SimpleUploadedFile(name, data)}
        if department is not None:
            payload["department"] = department.code
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("records_upload:create"), payload)
        # The import runs when the upload row commits (the end of the block above); then show the page.
        if follow and response.status_code == 302:
            response = client.get(response.url)
        return response

    return post


def last_upload():
    return Upload.objects.order_by("-pk").first()


def form_errors(response) -> str:
    return " ".join(str(e) for e in response.context["form"].errors.get("file", []))


# --- template -------------------------------------------------------------------------------------


def test_template_has_the_catalog_labels_required_marks_dropdowns_and_guide(client_for, clerk_a):
    response = client_for(clerk_a).get(reverse("records_upload:template", args=["penalty"]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb.worksheets[0]
    fields = list(FieldSpec.objects.filter(record_type__code="penalty").order_by("order"))
    assert [c.value for c in ws[1]] == [f.label for f in fields]  # the text exactly as the national template
    for cell, field in zip(ws[1], fields, strict=True):
        assert cell.font.b
        assert (cell.font.color.rgb == "FFC00000") == field.required  # required: red
    validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    kind = validations["B2"]
    assert kind.type == "list" and "法人及非法人组织" in kind.formula1 and kind.showErrorMessage
    penalty_kinds = validations["R2"]  # 处罚类别: several values allowed, so the list only helps
    assert "罚款" in penalty_kinds.formula1 and not penalty_kinds.showErrorMessage
    assert ws.column_dimensions["W"].number_format == "yyyy-mm-dd"  # 处罚决定日期
    assert ws.column_dimensions["M"].number_format == "@"  # 证件号码 kept as text
    guide = wb["填写说明"]
    text = "\n".join(" ".join(str(v) for v in row if v) for row in guide.iter_rows(values_only=True))
    assert "行政相对人类别为“法人及非法人组织”时必填" in text
    assert "处罚类别包含“罚款”时必填" in text
    assert "行政相对人类别为“自然人”时不填" in text
    assert "警告；通报批评；罚款" in text


def test_template_of_a_new_type_needs_no_code_and_long_lists_use_a_hidden_sheet(client_for, center):
    record_type = RecordType.objects.create(
        code="demo_type", name="示范信息", family="administrative", effective_from=datetime.date(2024, 1, 1)
    )
    choices = [f"很长的可选项名称第{n}项" for n in range(40)]
    FieldSpec.objects.create(record_type=record_type, code="D_MC", label="名称", required=True, order=1)
    FieldSpec.objects.create(
        record_type=record_type, code="D_LB", label="类别", field_type=FieldType.ENUM, choices=choices, order=2
    )
    FieldSpec.objects.create(record_type=record_type, code="D_RQ", label="日期", field_type=FieldType.DATE, order=3)
    response = client_for(center).get(reverse("records_upload:template", args=["demo_type"]))
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb.worksheets[0][1]] == ["名称", "类别", "日期"]
    assert wb["选项"].sheet_state == "hidden"
    assert [r[1] for r in wb["选项"].iter_rows(values_only=True)] == choices
    [validation] = wb.worksheets[0].data_validations.dataValidation
    assert validation.formula1 == "'选项'!$B$1:$B$40"


def test_template_access(client_for, subject_user, clerk_a, client):
    url = reverse("records_upload:template", args=["penalty"])
    assert client_for(subject_user).get(url).status_code == 403
    assert client.get(url).status_code == 302  # to the login page
    assert client_for(clerk_a).get(reverse("records_upload:template", args=["no-such-type"])).status_code == 404


def test_upload_page_lists_templates_of_the_department_powers(client_for, clerk_b):
    page = client_for(clerk_b).get(reverse("records_upload:create")).content.decode()
    assert reverse("records_upload:template", args=["penalty"]) in page
    assert reverse("records_upload:template", args=["license"]) not in page  # 税务局 holds no licensing power


# --- uploads that are read ---------------------------------------------------------------------------


def test_good_and_bad_rows_xlsx(upload_file, clerk_a, dept_a, client_for):
    rows = [
        labels(),
        penalty_cells(dept_a, 1),
        penalty_cells(dept_a, 2, CF_XDR_SHXYM="91371083MA3D00021X"),  # wrong check character
        penalty_cells(dept_a, 3),
        penalty_cells(dept_a, 4, CF_JDRQ="2024-13-01", CF_CFLB="罚款;拘役"),
    ]
    response = upload_file(clerk_a, xlsx_bytes(rows), "处罚0927.xlsx")
    upload = last_upload()
    assert response.request["PATH_INFO"] == reverse("records_upload:detail", args=[upload.pk])
    assert upload.status == UploadStatus.DONE
    assert (upload.accepted, upload.rejected, upload.duplicates) == (2, 2, 0)
    assert upload.processed_rows == upload.total_rows == 4
    assert upload.sha256 and upload.file.name.startswith("uploads/2024/10/")
    assert not upload.file.name.endswith("处罚0927.xlsx")  # stored under a random name
    assert Record.objects.filter(upload=upload).count() == 2
    assert set(Submission.objects.filter(upload=upload).values_list("source", "outcome")) == {
        (Source.UPLOAD, "rejected")
    }
    assert list(upload.batches.values_list("source", "rows", "compliant")) == [(Source.UPLOAD, 4, 2)]
    page = response.content.decode()
    assert "第3行" in page and "乳市监罚〔2024〕2号" in page and "统一社会信用代码：" in page
    assert "第5行" in page and "处罚决定日期：" in page and "“拘役”不在可选值中" in page
    assert "上传并校验" not in page and "拒收的行（共 2 行）" in page


def test_marked_result_file(upload_file, clerk_a, dept_a, client_for):
    rows = [
        ["序号", *labels()],
        [1, *penalty_cells(dept_a, 1)],
        [2, *penalty_cells(dept_a, 2, CF_XDR_SHXYM="91371083MA3D00021X", CF_WFXW="=cmd|' /C calc'!A0")],
        [3, *penalty_cells(dept_a, 3, CF_JDRQ="2024-13-01", CF_NR_FK=None)],
    ]
    upload_file(clerk_a, raw_xlsx(rows), "a.xlsx")  # text cells, so "=cmd…" is text as typed
    upload = last_upload()
    response = client_for(clerk_a).get(reverse("records_upload:result", args=[upload.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == ["序号", *labels(), "原文件行号", "问题说明"]
    assert ws.max_row == 3  # the header and the two rejected rows
    uscc_col = header.index("统一社会信用代码") + 1
    bad = ws.cell(row=2, column=uscc_col)
    assert bad.value == "91371083MA3D00021X"
    assert bad.fill.fgColor.rgb == "FFFFC7CE" and "校验码" in bad.comment.text
    fine = ws.cell(row=2, column=1)
    assert fine.fill.fgColor.rgb != "FFFFC7CE" and fine.comment is None
    assert ws.cell(row=2, column=header.index("违法行为类型") + 1).value == "=cmd|' /C calc'!A0"  # text, not a formula
    assert ws.cell(row=2, column=header.index("违法行为类型") + 1).data_type == "s"
    date_cell = ws.cell(row=3, column=header.index("处罚决定日期") + 1)
    assert date_cell.value == "2024-13-01" and "不是有效日期" in date_cell.comment.text
    empty_fine = ws.cell(row=3, column=header.index("罚款金额（万元）") + 1)  # required here, left empty
    assert empty_fine.value is None and "不能为空" in empty_fine.comment.text
    assert ws.cell(row=3, column=len(header) - 1).value == 4
    assert "处罚决定日期：" in ws.cell(row=3, column=len(header)).value
    # Re-uploading the marked file after fixing nothing is understood (the added columns are ignored).
    assert client_for(clerk_a).get(reverse("records_upload:result", args=[upload.pk])).status_code == 200


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_csv_upload(upload_file, clerk_a, dept_a, encoding):
    rows = [labels(), penalty_cells(dept_a, 1), penalty_cells(dept_a, 2, CF_XDR_LB="公司")]
    upload_file(clerk_a, csv_bytes(rows, encoding=encoding), f"处罚-{encoding}.csv")
    upload = last_upload()
    assert (upload.status, upload.accepted, upload.rejected) == (UploadStatus.DONE, 1, 1)
    assert Record.objects.get(upload=upload).subject_name == "乳山市测试商贸有限公司1"


def test_dates_as_text_and_serial_numbers(upload_file, clerk_a, dept_a):
    serial = (datetime.date(2024, 9, 27) - EXCEL_EPOCH).days
    rows = [
        labels(),
        penalty_cells(dept_a, 1, CF_JDRQ="2024/9/27"),
        penalty_cells(dept_a, 2, CF_JDRQ="2024年9月27日"),
        penalty_cells(dept_a, 3, CF_JDRQ=serial, CF_YXQ="长期"),
        penalty_cells(dept_a, 4, CF_JDRQ=datetime.datetime(2024, 9, 27)),
        penalty_cells(dept_a, 5, CF_JDRQ="20240927"),
    ]
    upload_file(clerk_a, xlsx_bytes(rows), "a.xlsx")
    assert last_upload().accepted == 5
    assert set(Record.objects.values_list("decision_date", flat=True)) == {datetime.date(2024, 9, 27)}
    assert Record.objects.get(decision_number="乳市监罚〔2024〕3号").valid_to == datetime.date(2099, 12, 31)


def test_invalid_codes_and_a_person_with_a_legal_representative(upload_file, clerk_a, dept_a, client_for):
    person = dict(CF_XDR_LB="自然人", CF_XDR_SHXYM=None, CF_XDR_ZJLX="身份证", CF_XDR_ZJHM="37108319900101123X")
    rows = [
        labels(),
        penalty_cells(dept_a, 1, CF_XDR_SHXYM="91371083MA3D0001"),  # 16 characters
        penalty_cells(dept_a, 2, CF_CFJGDM="11371083MB123456OX"),  # letter O is never used
        penalty_cells(dept_a, 3, **person),  # with CF_FRDB from the factory: a person has no legal representative
        penalty_cells(dept_a, 4, **person | {"CF_FRDB": None, "CF_XDR_ZJHM": "371083199001011234"}),
    ]
    response = upload_file(clerk_a, xlsx_bytes(rows), "a.xlsx")
    page = response.content.decode()
    upload = last_upload()
    assert (upload.accepted, upload.rejected) == (0, 4)
    assert "应为18位" in page and "不允许的字符" in page
    assert "法定代表人：行政相对人类别为“自然人”时不应填写" in page
    assert "证件号码：" in page  # 371083199001011234: wrong check digit


def test_duplicates_inside_a_file_and_across_files(upload_file, clerk_a, dept_a):
    rows = [labels(), penalty_cells(dept_a, 1), penalty_cells(dept_a, 2), penalty_cells(dept_a, 1)]
    data = xlsx_bytes(rows)
    response = upload_file(clerk_a, data, "a.xlsx")
    first = last_upload()
    assert (first.accepted, first.rejected, first.duplicates) == (2, 1, 0)
    assert "与第2行的决定文书号重复" in response.content.decode()

    upload_file(clerk_a, data, "a-again.xlsx")
    again = last_upload()
    assert again.pk != first.pk and again.sha256 == first.sha256
    assert (again.accepted, again.rejected, again.duplicates) == (0, 1, 2)
    assert Record.objects.count() == 2

    same_rows_as_csv = csv_bytes(rows[:3])
    upload_file(clerk_a, same_rows_as_csv, "a.csv")
    assert (last_upload().accepted, last_upload().duplicates) == (0, 2)
    assert Record.objects.count() == 2


def test_changed_row_is_a_correction(upload_file, clerk_a, dept_a, client_for):
    upload_file(clerk_a, xlsx_bytes([labels(), penalty_cells(dept_a, 1)]), "a.xlsx")
    response = upload_file(clerk_a, xlsx_bytes([labels(), penalty_cells(dept_a, 1, CF_NR="罚款6000元")]), "b.xlsx")
    assert last_upload().batches.get().updated == 1
    assert re.search(r"更正更新</h2><p class=\"figure\">1<", response.content.decode())


def test_html_and_script_are_kept_verbatim_and_shown_inert(upload_file, clerk_a, dept_a):
    script = "<script>alert('x')</script>"
    rows = [
        labels(),
        penalty_cells(dept_a, 1, CF_WFXW=script),
        penalty_cells(dept_a, 2, CF_WSH=f"{script}2号", CF_XDR_LB="<b>法人</b>"),
    ]
    response = upload_file(clerk_a, xlsx_bytes(rows), "a.xlsx")
    assert Record.objects.get().data["CF_WFXW"] == script
    page = response.content.decode()
    assert script not in page and "<b>法人</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;2号" in page
    assert "&lt;b&gt;法人&lt;/b&gt;" in page


def test_formulas_and_merged_cells(upload_file, clerk_a, dept_a, client_for):
    cached = penalty_cells(dept_a, 1)
    cached[19] = {"f": "0.2+0.3", "v": "0.5"}
    uncalculated = penalty_cells(dept_a, 2)
    uncalculated[16] = {"f": 'CONCATENATE("《产品质量法》","第四十九条")'}
    merged_top = penalty_cells(dept_a, 3)
    merged_below = penalty_cells(dept_a, 4, CF_WFXW=None)  # O4 is covered by the merge O4:O5
    rows = [labels(), cached, uncalculated, merged_top, merged_below]
    response = upload_file(clerk_a, raw_xlsx(rows, merges=["O4:O5"]), "a.xlsx")
    upload = last_upload()
    assert (upload.accepted, upload.rejected) == (2, 2)
    assert Record.objects.get(decision_number="乳市监罚〔2024〕1号").data["CF_NR_FK"] == "0.5"
    page = response.content.decode()
    assert "处罚依据：公式没有计算结果" in page
    assert "违法行为类型：必填，不能为空（该单元格在合并单元格 O4:O5 中" in page


def test_center_uploads_for_a_department_and_clerks_only_for_their_own(upload_file, center, clerk_a, dept_a, dept_b):
    upload_file(center, csv_bytes([labels(), penalty_cells(dept_b, 1)]), "a.csv", department=dept_b)
    assert last_upload().department == dept_b and last_upload().accepted == 1
    upload_file(clerk_a, csv_bytes([labels(), penalty_cells(dept_a, 1)]), "b.csv", department=dept_b)
    assert last_upload().department == dept_a  # the field is not there for a clerk
    response = upload_file(center, csv_bytes([labels(), penalty_cells(dept_b, 1)]), "c.csv")
    assert "该字段是必填项" in str(response.context["form"].errors["department"])


def test_rows_of_another_department_are_refused(upload_file, clerk_a, dept_a, dept_b):
    upload_file(clerk_a, csv_bytes([labels(), penalty_cells(dept_b, 1)]), "a.csv")
    upload = last_upload()
    assert upload.rejected == 1
    assert "只能报送本部门数据" in str(upload.problems)


def test_type_outside_the_department_powers(upload_file, clerk_b, dept_b):
    response = upload_file(clerk_b, csv_bytes([labels("license")]), "a.csv", type_code="license")
    assert "选择一个有效的选项" in str(response.context["form"].errors["record_type"])
    assert not Upload.objects.exists()


# --- uploads refused before they are stored ---------------------------------------------------------------


def test_wrong_and_missing_headers(upload_file, clerk_a, dept_a):
    header = labels()
    header[0], header[22] = "企业名称", "决定日期"
    response = upload_file(clerk_a, csv_bytes([header, penalty_cells(dept_a)]), "a.csv")
    errors = form_errors(response)
    assert "缺少必填列：行政相对人名称、处罚决定日期" in errors
    assert "无法识别的列：企业名称、决定日期" in errors
    assert not Upload.objects.exists()


def test_non_excel_named_xlsx_empty_and_unknown_extension(upload_file, clerk_a, dept_a):
    assert "不是 Excel 工作簿" in form_errors(upload_file(clerk_a, b"%PDF-1.7 not a workbook", "a.xlsx"))
    assert "空的" in form_errors(upload_file(clerk_a, b"", "a.xlsx"))
    assert "不支持的文件类型" in form_errors(upload_file(clerk_a, b"a,b", "a.docx"))
    assert not Upload.objects.exists()


def test_oversize_upload_is_refused_without_being_stored(upload_file, clerk_a, dept_a, settings, tmp_path):
    settings.RECORD_UPLOAD_MAX_MB = 1
    rows = [labels()] + [penalty_cells(dept_a, n) for n in range(1, 2500)]
    data = csv_bytes(rows)
    assert len(data) > 1024 * 1024
    response = upload_file(clerk_a, data, "big.csv")
    assert "超过上限 1 MB" in form_errors(response)
    assert not Upload.objects.exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


# --- progress, failures ---------------------------------------------------------------------------------


def test_progress_page_and_json_while_queued(client_for, clerk_a, dept_a):
    from apps.records.intake.services import upload_create

    data = csv_bytes([labels(), penalty_cells(dept_a, 1)])
    upload = upload_create(
        uploaded_file=SimpleUploadedFile("a.csv", data),
        record_type=RecordType.objects.get(code="penalty"),
        department=dept_a,
        user=clerk_a,
    )  # the import is queued on commit, which never comes in this test
    client = client_for(clerk_a)
    page = client.get(reverse("records_upload:detail", args=[upload.pk])).content.decode()
    assert f'data-progress-url="{reverse("records_upload:progress", args=[upload.pk])}"' in page
    assert "js/upload-progress.js" in page and '<meta http-equiv="refresh"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script (CSP)
    progress = client.get(reverse("records_upload:progress", args=[upload.pk])).json()
    assert progress["status"] == "queued" and progress["finished"] is False and progress["percent"] == 0

    upload_process(upload.pk)
    progress = client.get(reverse("records_upload:progress", args=[upload.pk])).json()
    assert progress | {"url": None} == progress | {
        "status": "done",
        "finished": True,
        "percent": 100,
        "processed_rows": 1,
        "accepted": 1,
        "url": None,
    }


def test_unreadable_part_of_a_file_fails_the_upload_visibly_and_keeps_earlier_batches(
    upload_file, clerk_a, dept_a, client_for
):
    rows = [labels()] + [penalty_cells(dept_a, n) for n in range(1, 1201)]
    damaged = raw_xlsx(rows, cut_in_row=1102)  # the XML stops in the middle of row 1102
    response = upload_file(clerk_a, damaged, "a.xlsx")
    upload = last_upload()
    assert upload.status == UploadStatus.FAILED
    # Every row read before the damage is kept (the staged path keeps all 1100; the pipeline whole batches).
    assert upload.error.startswith("导入中断：文件内容已损坏")
    assert f"已处理的 {upload.processed_rows} 行结果已保存" in upload.error
    assert 1000 <= upload.accepted == Record.objects.count() <= 1100
    assert upload.error in response.content.decode()


def test_missing_stored_file_fails_the_upload(client_for, clerk_a, dept_a):
    from apps.records.intake.services import upload_create

    upload = upload_create(
        uploaded_file=SimpleUploadedFile("a.csv", csv_bytes([labels(), penalty_cells(dept_a, 1)])),
        record_type=RecordType.objects.get(code="penalty"),
        department=dept_a,
        user=clerk_a,
    )
    upload.file.storage.delete(upload.file.name)
    upload_process(upload.pk)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED
    assert upload.error == "导入中断：服务器上找不到上传的文件，请重新上传。"


# --- who sees what -----------------------------------------------------------------------------------------


def test_only_the_department_and_the_center_see_an_upload(
    upload_file, client_for, clerk_a, clerk_b, reviewer_a, center, subject_user, dept_a
):
    upload_file(
        clerk_a, xlsx_bytes([labels(), penalty_cells(dept_a, 1), penalty_cells(dept_a, 2, CF_XDR_LB="x")]), "a.xlsx"
    )
    upload = last_upload()
    urls = [reverse(f"records_upload:{name}", args=[upload.pk]) for name in ("detail", "progress", "file", "result")]
    for url in urls:
        assert client_for(clerk_b).get(url).status_code == 404, url
        assert client_for(subject_user).get(url).status_code == 403, url
        assert client_for(reviewer_a).get(url).status_code == 200, url
        assert client_for(center).get(url).status_code == 200, url
    assert client_for(clerk_a).get(reverse("records_upload:detail", args=[upload.pk + 1000])).status_code == 404
    assert client_for(subject_user).get(reverse("records_upload:create")).status_code == 403
    assert client_for(subject_user).get(reverse("records_upload:list")).status_code == 403
    assert upload.original_name not in client_for(clerk_b).get(reverse("records_upload:list")).content.decode()
    assert upload.original_name in client_for(center).get(reverse("records_upload:list")).content.decode()
    original = client_for(clerk_a).get(reverse("records_upload:file", args=[upload.pk]))
    assert b"".join(original.streaming_content)[:2] == b"PK"


def test_the_upload_form_still_checks_csrf(clerk_a, dept_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk_a, backend="django.contrib.auth.backends.ModelBackend")
    payload = {
        "record_type": "penalty",
        "file": SimpleUploadedFile("a.csv", csv_bytes([labels(), penalty_cells(dept_a)])),
    }
    assert client.post(reverse("records_upload:create"), payload).status_code == 403
    assert not Upload.objects.exists()

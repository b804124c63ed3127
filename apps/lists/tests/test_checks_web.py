import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from apps.lists.check_files import BATCH_RESULT_HEADER, batch_max_bytes
from apps.lists.models import CheckFeedback, CreditCheck
from apps.records.tests.factories import PERSON_ID_MASKED
from apps.subjects.services import subject_create

from .checks_support import (
    PERSON_ID,
    WATCH,
    company_code,
    company_name,
    entry,
    ingest,
    make_recogniser,
    person_entry,
    travel,
)

pytestmark = pytest.mark.django_db
HOME = "/lists/checks/"
BATCH = "/lists/checks/batch/"
FIGURES = "/lists/checks/figures/"


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


@pytest.fixture
def listed(dept_b):
    make_recogniser(dept_b)
    ingest(dept_b, [entry(dept_b, 1), entry(dept_b, 2, list_type=WATCH, subject=1), entry(dept_b, 3)])


def xlsx_upload(rows, name="名单.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_upload(rows, name="名单.csv", encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding))


def result_rows(response):
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == BATCH_RESULT_HEADER
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- single check ---------------------------------------------------------------------------


def test_pages_are_for_staff(client, client_for, subject_user, clerk_a):
    response = client.get(HOME)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(subject_user).get(HOME).status_code == 403
    assert client_for(subject_user).get(BATCH).status_code == 403
    page = client_for(clerk_a).get(HOME)
    assert page.status_code == 200 and "招标投标" in page.content.decode()


def test_clerk_checks_a_subject_and_sees_lists_and_measures(listed, client_for, clerk_a):
    client = client_for(clerk_a)
    response = client.post(HOME, {"query": company_code(1), "matter": "licensing"})
    check = CreditCheck.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/lists/checks/{check.pk}/"
    assert check.channel == "web" and check.user == clerk_a and check.department == clerk_a.department
    html = client.get(response["Location"]).content.decode()
    assert company_name(1) in html
    assert 'class="badge err list-black"' in html and 'class="badge warn list-watch"' in html
    assert "CJ-05" in html and "行政审批中列为重点审查对象" in html and "暂无评价" in html
    # The history on the home page shows the check.
    assert company_code(1) in client.get(HOME).content.decode()


def test_form_errors_are_shown(client_for, clerk_a):
    response = client_for(clerk_a).post(HOME, {"query": " ", "matter": "nope"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请输入主体" in html and "请选择列表中的办理事项" in html
    assert not CreditCheck.objects.exists()


def test_unknown_subject_page_says_so(client_for, clerk_a):
    response = client_for(clerk_a).post(HOME, {"query": "乳山市查无此司", "matter": "bidding"}, follow=True)
    assert "未找到名称为“乳山市查无此司”的信用主体" in response.content.decode()


def test_feedback_form(listed, client_for, clerk_a):
    client = client_for(clerk_a)
    client.post(HOME, {"query": company_code(1), "matter": "licensing"})
    url = f"/lists/checks/{CreditCheck.objects.get().pk}/"
    response = client.post(url, {"measure": "CJ-05", "implemented": "0", "reason": ""})
    assert response.status_code == 400 and "必须填写原因" in response.content.decode()
    response = client.post(url, {"measure": "CJ-05", "implemented": "0", "reason": "申请人当场撤回"})
    assert response.status_code == 302
    feedback = CheckFeedback.objects.get()
    assert not feedback.implemented and feedback.user == clerk_a
    response = client.post(url, {"measure": "CJ-05", "implemented": "1", "reason": ""}, follow=True)
    assert CheckFeedback.objects.get().implemented and "已反馈 1 / 1 项" in response.content.decode()
    response = client.post(url, {"measure": "JL-01", "implemented": "1"})
    assert response.status_code == 400 and "不在本次核查返回的措施中" in response.content.decode()


def test_other_departments_checks_are_hidden(listed, client_for, clerk_a, clerk_b, center):
    client_for(clerk_a).post(HOME, {"query": company_code(1), "matter": "bidding"})
    url = f"/lists/checks/{CreditCheck.objects.get().pk}/"
    assert client_for(clerk_b).get(url).status_code == 404
    assert client_for(clerk_b).post(url, {"measure": "CJ-01", "implemented": "1"}).status_code == 404
    assert company_code(1) not in client_for(clerk_b).get("/lists/checks/history/").content.decode()
    assert client_for(center).get(url).status_code == 200
    assert not CheckFeedback.objects.exists()


def test_person_page_shows_only_the_masked_id(dept_b, client_for, clerk_a):
    make_recogniser(dept_b)
    subject_create(kind="person", name="王某某", id_number=PERSON_ID)
    ingest(dept_b, [person_entry(dept_b, 9, name="王某某")])
    client = client_for(clerk_a)
    response = client.post(HOME, {"query": PERSON_ID, "matter": "civil_service"}, follow=True)
    html = response.content.decode()
    assert PERSON_ID_MASKED in html and PERSON_ID not in html.upper()
    assert PERSON_ID not in client.get(HOME).content.decode().upper()


# --- batch -------------------------------------------------------------------------------------


def test_batch_xlsx_gives_one_row_per_input(listed, client_for, clerk_a):
    subject_create(kind="legal", name="乳山市无名单商贸有限公司", uscc=company_code(40))
    upload = xlsx_upload(
        [
            ["序号", "企业名称", "统一社会信用代码"],
            [1, company_name(1), company_code(1)],
            [2, "乳山市无名单商贸有限公司", None],  # no code: checked by name
            [3, None, company_code(3).lower()],
            [None, None, None],  # blank rows are skipped
            [4, None, "-2+3+cmd|' /C calc'!A0"],
            [5, "@SUM(A1)", None],
        ]
    )
    response = client_for(clerk_a).post(BATCH, {"file": upload, "matter": "bidding"})
    assert "attachment" in response["Content-Disposition"]
    rows = result_rows(response)
    assert [r["行号"] for r in rows] == [2, 3, 4, 6, 7]
    first = rows[0]
    assert first["核查结果"] == "找到" and first["主体名称"] == company_name(1)
    assert first["统一社会信用代码/证件号码"] == company_code(1)
    assert "重大税收违法失信主体" in first["在列名单"] and "失信行为重点关注对象" in first["在列名单"]
    assert first["适用措施"].startswith("CJ-01 限制参与招标投标")
    assert rows[1]["核查结果"] == "找到" and rows[1]["在列名单"] is None and rows[1]["适用措施"] is None
    assert rows[2]["主体名称"] == company_name(3)
    # Formula-looking input comes back as text.
    assert rows[3]["查询内容"] == "'-2+3+cmd|' /C calc'!A0" and rows[3]["核查结果"] == "未找到"
    assert rows[4]["查询内容"] == "'@SUM(A1)"
    logged = CreditCheck.objects.filter(channel="batch", user=clerk_a, department=clerk_a.department)
    assert logged.count() == 5 and logged.filter(found=True).count() == 3


def test_batch_csv_in_gbk_with_a_name_column(listed, client_for, clerk_a):
    upload = csv_upload(
        [["名称"], [company_name(1)], [company_name(3)], ['=HYPERLINK("http://x")']], encoding="gb18030"
    )
    rows = result_rows(client_for(clerk_a).post(BATCH, {"file": upload, "matter": "honours"}))
    assert [r["核查结果"] for r in rows] == ["找到", "找到", "未找到"]
    assert all(r["适用措施"].startswith("CJ-04") for r in rows[:2])
    assert rows[2]["查询内容"] == '\'=HYPERLINK("http://x")'
    assert rows[2]["说明"].startswith("未找到名称为")  # the message quotes the input, not at the cell start


@pytest.mark.parametrize(
    ("template", "encoding"),
    [
        ("代码\t名称\r\n{code}\t\r\n", "utf-16"),  # Excel's “Unicode text” (UTF-16, tabs)
        ("代码;名称\r\n{code};x\r\n", "utf-8"),  # semicolons
    ],
)
def test_batch_csv_is_read_by_the_platform_reader(listed, client_for, clerk_a, template, encoding):
    upload = SimpleUploadedFile("名单.csv", template.format(code=company_code(1)).encode(encoding))
    rows = result_rows(client_for(clerk_a).post(BATCH, {"file": upload, "matter": "bidding"}))
    assert [r["核查结果"] for r in rows] == ["找到"]


def test_a_damaged_batch_csv_is_explained(client_for, clerk_a):
    upload = SimpleUploadedFile("名单.csv", ("代码\r\n" + "x" * 200_000 + "\r\n").encode())  # over the field limit
    response = client_for(clerk_a).post(BATCH, {"file": upload, "matter": "bidding"})
    assert response.status_code == 400 and "CSV 格式有误（某个单元格内容过长）" in response.content.decode()


def test_batch_header_is_tolerant(listed, client_for, clerk_a):
    upload = xlsx_upload([["批量核查名单"], [], [" 代码 * "], [company_code(1)]])
    rows = result_rows(client_for(clerk_a).post(BATCH, {"file": upload, "matter": "bidding"}))
    assert rows[0]["核查结果"] == "找到"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("名单.xlsx", b"this is not a workbook"), "不是有效的 .xlsx"),
        (SimpleUploadedFile("名单.xlsx", b"PK\x03\x04broken zip"), "无法读取该 .xlsx 文件"),
        (SimpleUploadedFile("名单.xls", b"\xd0\xcf\x11\xe0old"), "不支持旧版 .xls"),
        (SimpleUploadedFile("名单.pdf", b"%PDF-1.4"), "仅支持 .xlsx 或 .csv"),
        (SimpleUploadedFile("名单.csv", b""), "上传的文件是空的"),
    ],
)
def test_malformed_batch_files_are_explained(client_for, clerk_a, upload, message):
    response = client_for(clerk_a).post(BATCH, {"file": upload, "matter": "bidding"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CreditCheck.objects.exists()


def test_batch_file_without_a_recognisable_column(client_for, clerk_a):
    upload = xlsx_upload([["序号", "备注"], [1, "x"]])
    response = client_for(clerk_a).post(BATCH, {"file": upload, "matter": "bidding"})
    assert response.status_code == 400 and "没有可识别的列" in response.content.decode()


def test_batch_file_with_a_header_only(client_for, clerk_a):
    response = client_for(clerk_a).post(BATCH, {"file": xlsx_upload([["统一社会信用代码"]]), "matter": "bidding"})
    assert response.status_code == 400 and "没有需要核查的数据" in response.content.decode()


def test_batch_file_with_too_many_rows(client_for, clerk_a):
    rows = [["代码"]] + [[company_code(n % 9000)] for n in range(20_001)]
    response = client_for(clerk_a).post(BATCH, {"file": csv_upload(rows), "matter": "bidding"})
    assert response.status_code == 400 and "超过 20,000 行" in response.content.decode()
    assert not CreditCheck.objects.exists()


def test_batch_file_too_large(client_for, clerk_a):
    upload = SimpleUploadedFile("名单.csv", b"a" * (batch_max_bytes() + 1))
    response = client_for(clerk_a).post(BATCH, {"file": upload, "matter": "bidding"})
    assert response.status_code == 400 and "超过 10 MB" in response.content.decode()


def test_batch_needs_a_matter(client_for, clerk_a):
    response = client_for(clerk_a).post(BATCH, {"file": csv_upload([["代码"], ["x1234567"]])})
    assert response.status_code == 400 and "请选择办理事项" in response.content.decode()


# --- figures page --------------------------------------------------------------------------------


def test_figures_page_is_for_the_center(listed, client_for, center, admin_user, clerk_a):
    client_for(clerk_a).post(HOME, {"query": company_code(1), "matter": "bidding"})
    html = client_for(center).get(FIGURES).content.decode()
    assert "核查次数 / 市场主体数" in html and "重大税收违法失信主体" in html and "得分" in html
    assert client_for(admin_user).get(FIGURES).status_code == 200
    assert client_for(clerk_a).get(FIGURES).status_code == 403
    assert client_for(center).get(FIGURES, {"date_from": "2024-10-11", "date_to": "2024-10-01"}).status_code == 200

"""Bulk commitment import page: template, good file, and every kind of bad file (nothing written on error)."""

import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from apps.commitments.choices import Channel
from apps.commitments.imports import HEADERS, read_rows
from apps.commitments.models import Commitment, CommitmentTemplate
from apps.commitments.services import commitment_sign
from apps.evaluation.tests.factories import make_subject
from apps.records.intake.guards import UploadError

pytestmark = pytest.mark.django_db
URL = "/commitments/import/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 9, 20, 10, tzinfo=datetime.UTC)):
        yield


@pytest.fixture
def template(dept_a):
    t = CommitmentTemplate.objects.get(type="tolerance", matter="市场主体登记容缺受理")
    t.supervising_department = dept_a
    t.save()
    return t


def xlsx(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post(client, content, name="承诺.xlsx"):
    return client.post(URL, {"file": SimpleUploadedFile(name, content)})


def test_template_download_has_the_header_row(client_for, clerk_a):
    response = client_for(clerk_a).get(reverse("commitments:import_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert tuple(c.value for c in ws[1]) == HEADERS


def test_good_file_imports_every_row(client_for, clerk_a, template):
    a, b = make_subject("甲公司"), make_subject("乙公司")
    content = xlsx(
        [
            (a.uscc, "容缺受理型", template.matter, datetime.datetime(2024, 9, 2)),
            (b.uscc.lower(), "容缺受理型", template.matter, "2024/9/3"),
        ]
    )
    response = post(client_for(clerk_a), content)
    assert response.status_code == 302, response.content.decode()
    rows = list(Commitment.objects.order_by("code"))
    assert [c.subject for c in rows] == [a, b]
    assert {c.channel for c in rows} == {Channel.IMPORT}
    assert rows[0].entered_by == clerk_a and rows[0].signed_on == datetime.date(2024, 9, 2)
    assert rows[0].code.startswith("37108320240902")


def test_gbk_csv_imports(client_for, clerk_a, template):
    a = make_subject("丙公司")
    text = ",".join(HEADERS) + "\n" + f"{a.uscc},容缺受理型,{template.matter},2024-09-05\n"
    response = post(client_for(clerk_a), text.encode("gbk"), name="承诺.csv")
    assert response.status_code == 302
    assert Commitment.objects.get().subject == a


def test_every_bad_row_is_reported_and_nothing_is_written(client_for, clerk_a, template):
    good, twice = make_subject("好公司"), make_subject("重复公司")
    content = xlsx(
        [
            (good.uscc, "容缺受理型", template.matter, "2024-09-01"),
            ("91371083MA00000000", "容缺受理型", template.matter, "2024-09-01"),
            (twice.uscc, "随便型", template.matter, "2024-09-01"),
            (twice.uscc, "容缺受理型", "没有的事项", "明天"),
            (good.uscc, "容缺受理型", template.matter, "2024-12-01"),
        ]
    )
    response = post(client_for(clerk_a), content)
    assert response.status_code == 400
    html = response.content.decode()
    assert "共 4 处问题" in html
    assert "第3行：平台中没有统一社会信用代码为“91371083MA00000000”的主体" in html
    assert "第4行：承诺类型“随便型”不是七类之一" in html
    assert "第5行：没有启用的“容缺受理型｜没有的事项”承诺书模板" in html and "承诺日期" in html
    assert "第6行：" in html and "承诺日期不能晚于今天" in html and "与第2行重复" in html
    assert "第2行" not in html.split("第6行")[0].split("共 4 处问题")[1]
    assert not Commitment.objects.exists()


def test_a_commitment_signed_twice_for_the_same_matter_is_refused(client_for, clerk_a, dept_a, template):
    subject = make_subject("已签公司")
    commitment_sign(template=template, subject=subject, user=clerk_a, channel=Channel.PAPER, department=dept_a)
    other = make_subject("新公司")
    content = xlsx(
        [
            (other.uscc, "容缺受理型", template.matter, "2024-09-10"),
            (subject.uscc, "容缺受理型", template.matter, "2024-09-10"),
        ]
    )
    response = post(client_for(clerk_a), content)
    assert response.status_code == 400
    assert (
        "第3行：该主体已就“市场主体登记容缺受理”作出信用承诺且尚未核实履约，不能重复签署" in response.content.decode()
    )
    assert Commitment.objects.count() == 1


def test_duplicate_rows_in_the_file(client_for, clerk_a, template):
    a = make_subject()
    row = (a.uscc, "容缺受理型", template.matter, "2024-09-10")
    response = post(client_for(clerk_a), xlsx([row, row]))
    assert response.status_code == 400
    assert "第3行：与第2行重复（同一主体同一承诺事项）" in response.content.decode()
    assert not Commitment.objects.exists()


def test_wrong_headers(client_for, clerk_a, template):
    content = xlsx([("x", "y", "z")], headers=("企业名称", "承诺类型", "事项"))
    response = post(client_for(clerk_a), content)
    html = response.content.decode()
    assert response.status_code == 400
    assert "缺少必填列：统一社会信用代码、承诺事项、承诺日期" in html
    assert "无法识别的列：企业名称、事项" in html
    assert not Commitment.objects.exists()


def test_not_an_excel_file_named_xlsx(client_for, clerk_a):
    response = post(client_for(clerk_a), b"%PDF-1.4 this is a pdf")
    assert response.status_code == 400
    assert "内容不是 Excel 工作簿" in response.content.decode()


def test_damaged_zip_named_xlsx(client_for, clerk_a):
    response = post(client_for(clerk_a), b"PK\x03\x04" + b"\x00" * 100)
    assert response.status_code == 400
    assert "无法作为 Excel 工作簿打开" in response.content.decode()


def test_empty_files(client_for, clerk_a):
    response = post(client_for(clerk_a), b"")
    assert response.status_code == 400
    assert "文件是空的（0 字节）" in response.content.decode()
    with pytest.raises(UploadError, match="0 字节"):
        read_rows(io.BytesIO(b""), "a.xlsx", 0)
    with pytest.raises(UploadError, match="没有数据行"):
        read_rows(io.BytesIO(xlsx([])), "a.xlsx", None)
    with pytest.raises(UploadError, match="没有内容"):
        read_rows(io.BytesIO(b"\n\n"), "a.csv", None)


def test_other_extensions_are_refused(client_for, clerk_a):
    response = post(client_for(clerk_a), b"abc", name="承诺.xls")
    assert response.status_code == 400
    assert "不支持“.xls”格式" in response.content.decode()


def test_subject_account_cannot_import(client_for, subject_user, template):
    response = post(client_for(subject_user), xlsx([]))
    assert response.status_code == 403

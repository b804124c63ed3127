import csv
import datetime
import io

import pytest
import time_machine
from django.test import Client
from django.urls import include, path
from openpyxl import load_workbook

from apps.catalog.models import FieldSpec
from apps.records.choices import Status
from apps.records.export import cell_text, neutralise
from apps.records.models import Record
from credit_portal.urls import urlpatterns as project_urlpatterns

from .factories import PERSON_ID, PERSON_ID_MASKED, ingest_rows, license_row, penalty_row

# The export URLs are included by the project at /records/export/; tests include them
# themselves so they do not depend on that line.
urlpatterns = [path("records/export/", include("apps.records.urls_export")), *project_urlpatterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
TODAY = datetime.date(2024, 10, 10)
DOWNLOAD = "/records/export/download/"
PERIOD = {"basis": "decision", "date_from": "2024-09-01", "date_to": "2024-09-30"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def penalty_labels():
    return list(FieldSpec.objects.filter(record_type__code="penalty").order_by("order").values_list("label", flat=True))


def download_csv(client, **params):
    response = client.get(DOWNLOAD, {"record_type": "penalty", **PERIOD, "fmt": "csv", **params})
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    raw = b"".join(response.streaming_content)
    return response, raw


def csv_rows(raw: bytes):
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def download_xlsx(client, **params):
    response = client.get(DOWNLOAD, {"record_type": "penalty", **PERIOD, "fmt": "xlsx", **params})
    assert response.status_code == 200, response.content[:500]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return response, workbook.active


@pytest.fixture
def data(dept_a, dept_b):
    ingest_rows(
        dept_a,
        [
            penalty_row(dept_a, 1, CF_SY='=HYPERLINK("http://evil.example","点击")', BZ="@SUM(A1:A2)"),
            penalty_row(dept_a, 2, CF_NR="+86 631 1234567", CF_YJ="-1+2"),
            penalty_row(
                dept_a,
                3,
                CF_XDR_MC="王某",
                CF_XDR_LB="自然人",
                CF_XDR_SHXYM=None,
                CF_FRDB=None,
                CF_XDR_ZJLX="身份证",
                CF_XDR_ZJHM=PERSON_ID,
            ),
            penalty_row(dept_a, 4, CF_JDRQ="2024-08-30"),  # outside September
            penalty_row(dept_a, 5),  # revoked below
        ],
        today=TODAY,
    )
    Record.objects.filter(decision_number__endswith="5号").update(status=Status.REVOKED)
    ingest_rows(dept_b, [penalty_row(dept_b, 6)], today=TODAY)
    ingest_rows(dept_a, [license_row(dept_a, 7)], type_code="license", today=TODAY)


def test_neutralise():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+1") == "'+1" and neutralise("-1") == "'-1" and neutralise("@A1") == "'@A1"
    assert neutralise("\t=1") == "'\t=1"
    assert neutralise("罚款=5000元") == "罚款=5000元"
    assert neutralise("") == ""


def test_csv_has_bom_national_headers_and_own_department_rows(data, clerk_a, client_for):
    response, raw = download_csv(client_for(clerk_a))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens the Chinese correctly
    assert raw.count(b"\xef\xbb\xbf") == 1
    rows = csv_rows(raw)
    assert rows[0] == penalty_labels()
    assert rows[0][:3] == ["行政相对人名称", "行政相对人类别", "统一社会信用代码"]
    number = rows[0].index("行政处罚决定书文号")
    assert [r[number] for r in rows[1:]] == ["乳市监罚〔2024〕1号", "乳市监罚〔2024〕2号", "乳市监罚〔2024〕3号"]


def test_csv_neutralises_formulas_and_masks_id_numbers(data, clerk_a, client_for):
    _response, raw = download_csv(client_for(clerk_a))
    rows = csv_rows(raw)
    header = rows[0]
    by_number = {r[header.index("行政处罚决定书文号")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    first, second, person = (by_number[f"乳市监罚〔2024〕{n}号"] for n in (1, 2, 3))
    assert first["违法事实"] == '\'=HYPERLINK("http://evil.example","点击")'
    assert first["备注"] == "'@SUM(A1:A2)"
    assert second["处罚内容"] == "'+86 631 1234567"
    assert second["处罚依据"] == "'-1+2"
    assert first["处罚类别"] == "罚款;没收违法所得"
    assert first["罚款金额（万元）"] == "0.5"
    assert first["处罚决定日期"] == "2024-09-27"
    assert person["证件号码"] == PERSON_ID_MASKED
    assert PERSON_ID.encode() not in raw
    for row in rows[1:]:
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row)


def test_xlsx_has_the_same_columns_text_cells_and_numeric_amounts(data, clerk_a, client_for):
    response, sheet = download_xlsx(client_for(clerk_a))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".xlsx" in response["Content-Disposition"]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == penalty_labels()
    assert rows[0][0].font.bold
    header = [c.value for c in rows[0]]
    assert len(rows) == 4
    first = {h: c for h, c in zip(header, rows[1], strict=True)}
    assert first["违法事实"].value == '\'=HYPERLINK("http://evil.example","点击")'
    assert first["违法事实"].data_type == "s"  # text, never a formula
    assert first["备注"].value == "'@SUM(A1:A2)"
    assert first["罚款金额（万元）"].value == 0.5 and first["罚款金额（万元）"].data_type == "n"
    assert not any(c.data_type == "f" for row in rows for c in row)
    person = {h: c.value for h, c in zip(header, rows[3], strict=True)}
    assert person["证件号码"] == PERSON_ID_MASKED
    assert sheet.title == "行政处罚"


def test_period_can_be_by_reported_date(data, dept_a, clerk_a, client_for):
    Record.objects.filter(decision_number__endswith="2号").update(
        reported_at=datetime.datetime(2024, 10, 1, 1, 0, tzinfo=datetime.UTC)
    )
    _response, raw = download_csv(client_for(clerk_a), basis="reported", date_from="2024-10-10", date_to="2024-10-10")
    numbers = [r[13] for r in csv_rows(raw)[1:]]
    assert numbers == ["乳市监罚〔2024〕1号", "乳市监罚〔2024〕3号", "乳市监罚〔2024〕4号"]


def test_clerk_exports_only_own_department_even_when_asking_for_another(data, dept_a, clerk_b, client_for):
    _response, raw = download_csv(client_for(clerk_b), department=dept_a.code)
    rows = csv_rows(raw)
    assert [r[13] for r in rows[1:]] == ["乳市监罚〔2024〕6号"]


def test_center_exports_all_or_one_department(data, dept_a, dept_b, center, client_for):
    client = client_for(center)
    _response, raw = download_csv(client)
    assert len(csv_rows(raw)) == 1 + 4
    _response, raw = download_csv(client, department=dept_b.code)
    assert [r[13] for r in csv_rows(raw)[1:]] == ["乳市监罚〔2024〕6号"]
    _response, sheet = download_xlsx(client, record_type="license")
    assert sheet.max_row == 2
    assert sheet.cell(1, 1).value == "行政相对人名称"


def test_export_needs_staff(data, subject_user, client_for):
    anonymous = Client().get(DOWNLOAD, {"record_type": "penalty", **PERIOD, "fmt": "csv"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client_for(subject_user).get(DOWNLOAD, {"record_type": "penalty", **PERIOD, "fmt": "csv"}).status_code == 403
    assert client_for(subject_user).get("/records/export/").status_code == 403


def test_form_page_and_invalid_requests(clerk_a, center, client_for):
    page = client_for(clerk_a).get("/records/export/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="record_type"' in html and 'name="department"' not in html
    assert 'name="department"' in client_for(center).get("/records/export/").content.decode()
    bad = client_for(clerk_a).get(
        DOWNLOAD, {"record_type": "nosuch", "date_from": "2024-09-30", "date_to": "2024-09-01", "fmt": "pdf"}
    )
    assert bad.status_code == 400
    assert "截止日期不能早于起始日期" in bad.content.decode()


def test_empty_period_gives_just_the_header(dept_a, clerk_a, client_for):
    _response, raw = download_csv(client_for(clerk_a))
    assert csv_rows(raw) == [penalty_labels()]


def test_cell_text_masks_an_unmasked_id_number_defensively():
    spec = FieldSpec(code="CF_XDR_ZJHM", label="证件号码", field_type="id_number")
    assert cell_text(spec, PERSON_ID) == PERSON_ID_MASKED
    assert cell_text(spec, PERSON_ID_MASKED) == PERSON_ID_MASKED

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from apps.catalog.models import RecordType
from apps.monitoring.models import RankingSnapshot, SnapshotFrozen
from apps.records.models import Record, ZeroReport

from .conftest import at

pytestmark = pytest.mark.django_db
RANKING = "/monitoring/ranking/"
EXPORT = "/monitoring/ranking/export.xlsx"
PUBLISH = "/monitoring/ranking/publish/"


def test_url_names_are_stable():
    assert reverse("monitoring:ranking") == RANKING
    assert reverse("monitoring:ranking_export") == EXPORT
    assert reverse("monitoring:ranking_publish") == PUBLISH


def test_only_credit_center_reaches_the_ranking(
    client, client_for, clerk_a, reviewer_a, subject_user, center, admin_user
):
    for url in (RANKING, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        for user in (clerk_a, reviewer_a, subject_user):
            assert client_for(user).get(url).status_code == 403
        assert client_for(center).get(url).status_code == 200
        assert client_for(admin_user).get(url).status_code == 200
    assert client_for(clerk_a).post(PUBLISH, {"month": "2024-10"}).status_code == 403
    assert not RankingSnapshot.objects.exists()


def test_ranking_page_shows_order_rates_and_formula(october, client_for, center):
    with at(2024, 11, 5, 9, 0):
        page = client_for(center).get(RANKING, {"month": "2024-10"}).content.decode()
    assert "2024年10月部门报送排名" in page
    b, a, c = page.index("国家税务总局乳山市税务局"), page.index("乳山市市场监督管理局"), page.index("乳山市应急管理局")
    assert b < a < c
    assert "80.56" in page and "66.67%" in page and "75.00%" in page
    assert "末位" in page and "未报送" in page
    assert "算术平均" in page
    assert "发布2024年10月排名" in page  # month over, not yet published


def test_default_month_is_the_previous_one_and_bad_months_fall_back(october, client_for, center):
    browser = client_for(center)
    with at(2024, 11, 5, 9, 0):
        assert "2024年10月部门报送排名" in browser.get(RANKING).content.decode()
        page = browser.get(RANKING, {"month": "2024-13"}).content.decode()
        assert "月份格式" in page and "2024年10月部门报送排名" in page
        assert "尚未到来" in browser.get(RANKING, {"month": "2025-01"}).content.decode()


def test_xlsx_export_has_the_ranking_and_neutralises_formulas(october, client_for, center):
    october["c"].name = '=HYPERLINK("http://evil.example","点击")'
    october["c"].save()
    with at(2024, 11, 5, 9, 0):
        response = client_for(center).get(EXPORT, {"month": "2024-10"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "2024-10.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["部门排名"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows.index(next(r for r in rows if r[0] == "排名"))
    assert rows[header][:5] == ["排名", "部门", "部门代码", "综合得分", "上报率"]
    body = rows[header + 1 : header + 4]
    assert [r[2] for r in body] == ["swj", "scjgj", "yjj"]
    assert [r[0] for r in body] == [1, 2, 3]
    assert body[1][3] == 80.56
    assert body[1][4] == 1.0 and body[1][8] == pytest.approx(0.6667) and body[1][11] == 0.75
    evil = sheet.cell(row=header + 4, column=2)
    assert evil.value == '\'=HYPERLINK("http://evil.example","点击")'
    assert evil.data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert rows[header + 4][0] == "合计"
    types = [[c.value for c in row] for row in workbook["分类型"].iter_rows()]
    assert [r[1] for r in types[1:]] == ["行政许可", "行政处罚"]


def test_publishing_freezes_the_ranking(october, client_for, center):
    browser = client_for(center)
    with at(2024, 11, 5, 9, 0):
        response = browser.post(PUBLISH, {"month": "2024-10"})
        assert response.status_code == 302
        assert response["Location"] == f"{RANKING}?month=2024-10"
    snapshot = RankingSnapshot.objects.get()
    assert snapshot.month == datetime.date(2024, 10, 1)
    assert snapshot.is_published and snapshot.published_by == center
    published_at = snapshot.published_at

    # Afterwards 应急局 declares a late 零报告 and a record is revoked: the live
    # figures change, the published ranking does not.
    ZeroReport.objects.create(
        department=october["c"], record_type=RecordType.objects.get(code="penalty"), month=datetime.date(2024, 10, 1)
    )
    Record.objects.filter(record_type__code="license").update(status="revoked")
    with at(2024, 11, 20, 9, 0):
        page = browser.get(RANKING, {"month": "2024-10"}).content.decode()
        assert "已发布" in page and "末位" in page and "80.56" in page
        assert "发布2024年10月排名" not in page
        workbook = load_workbook(io.BytesIO(browser.get(EXPORT, {"month": "2024-10"}).content))
        assert "已发布" in workbook["部门排名"]["A2"].value
        again = browser.post(PUBLISH, {"month": "2024-10"}, follow=True)
        assert "无需重复发布" in again.content.decode()
    snapshot.refresh_from_db()
    assert snapshot.published_at == published_at
    assert [row["department_code"] for row in snapshot.data["rows"]] == ["swj", "scjgj", "yjj"]

    snapshot.data = {"rows": []}
    with pytest.raises(SnapshotFrozen):
        snapshot.save()
    with pytest.raises(SnapshotFrozen):
        snapshot.save(update_fields=["data"])


def test_a_month_cannot_be_published_before_it_ends(october, client_for, center):
    with at(2024, 10, 31, 23, 0):
        page = client_for(center).post(PUBLISH, {"month": "2024-10"}, follow=True).content.decode()
    assert "尚未结束" in page
    assert not RankingSnapshot.objects.exists()

"""Public journey: search by partial name, open the profile, download a report, verify it, tamper with the number."""

import datetime
import io
import re

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row
from apps.subjects.codes import build_uscc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
NAME = "乳山市鑫源水产有限公司"


@pytest.fixture
def xinyuan(dept_a):
    cache.clear()  # rate-limit counters from earlier runs
    today = datetime.date.today()
    decided = (today - datetime.timedelta(days=10)).isoformat()
    uscc = build_uscc("91", "371083", "MA3X0001")
    rows = [penalty_row(dept_a, 1, CF_XDR_MC=NAME, CF_XDR_SHXYM=uscc, CF_JDRQ=decided)]
    summary = records_ingest(record_type="penalty", department=dept_a, rows=list(enumerate(rows, start=2)), today=today)
    assert summary.as_dict()["rejected"] == 0
    yield
    cache.clear()


def test_visitor_finds_a_company_downloads_its_report_and_verifies_it(page, xinyuan, tmp_path):
    page.goto("/")
    page.get_by_label("主体名称或统一社会信用代码").fill("鑫源")
    page.get_by_label("主体名称或统一社会信用代码").press("Enter")
    page.get_by_role("link", name=NAME).click()
    page.get_by_role("heading", name=NAME).wait_for()
    assert "乳市监罚〔2024〕1号" in page.content()

    page.get_by_label("报告用途").select_option(label="招标投标")
    page.get_by_role("button", name="生成信用报告").click()
    page.get_by_role("heading", name="信用报告已生成").wait_for()
    number = page.locator("#report-number").inner_text().strip()
    code = page.locator("#report-code").inner_text().strip()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载信用报告（PDF）").click()
    path = tmp_path / "report.pdf"
    download_info.value.save_as(path)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert number in text and code in text and NAME in text
    # The number and code as printed on the PDF are what the verifier types in.
    printed_number = re.search(r"XY[0-9A-Z]{18,}", text).group(0)
    assert printed_number == number

    page.goto("/reports/verify/")
    page.get_by_label("报告编号").fill(printed_number)
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="验证").click()
    result = page.locator("#verify-result")
    result.wait_for()
    assert result.get_attribute("data-status") == "verified"
    assert "验证通过" in result.inner_text()
    assert NAME in page.content()

    altered = printed_number[:-1] + ("2" if printed_number[-1] != "2" else "3")
    page.get_by_label("报告编号").fill(altered)
    page.get_by_role("button", name="验证").click()
    page.locator('#verify-result[data-status="refused"]').wait_for()
    assert "验证未通过" in page.locator("#verify-result").inner_text()
    assert NAME not in page.locator("main").inner_text().split("验证未通过")[1]


def test_phone_search_results_are_cards_and_links_do_not_break(page, xinyuan):
    """At 390 px names wrapped one character per line and "首页" broke into "首/页" (issue 16 item 7)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/search/?q=鑫源")
    name = page.get_by_role("link", name=NAME)
    box = name.bounding_box()
    assert box["width"] > 150, box  # a card line, not a one-character column
    for label in ("首页", "信用查询", "报告验证"):
        link = page.locator(".public-links").get_by_role("link", name=label, exact=True)
        height = link.bounding_box()["height"]
        line = float(link.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 24"))
        assert height < 1.5 * line, (label, height, line)  # one line
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

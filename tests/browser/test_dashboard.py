import datetime

import pytest

from apps.monitoring.models import IndicatorReading

from .test_journeys import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_center_sees_the_scorecard_with_trend_charts_drawn_without_csp_violations(page, center):
    today = datetime.date.today()
    last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
    IndicatorReading.objects.create(code="data_volume", day=last_month_end, value=5.0)
    _login(page, "center")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="考核指标").click()
    page.get_by_role("heading", name="信用体系建设考核指标").wait_for()
    chart = page.locator('.trend-chart[data-code="data_volume"]')
    chart.locator("svg").wait_for()  # ECharts drew the line (the page's CSP forbids inline script and style)
    assert page.locator("#scorecard tbody tr").count() >= 10
    assert "自评得分" in page.locator("#scorecard-total").inner_text()

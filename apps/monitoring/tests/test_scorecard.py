"""The self-assessment scorecard: the seed-001 scoring rules as data, computed from live figures."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from apps.monitoring.choices import ScoreRule
from apps.monitoring.models import Indicator, IndicatorReading
from apps.monitoring.rules import score_for
from apps.monitoring.scorecard import scorecard_build
from apps.monitoring.tasks import nightly_indicator_readings

from .conftest import at

pytestmark = pytest.mark.django_db
DASHBOARD = "/monitoring/dashboard/"
EXPORT = "/monitoring/dashboard/export.xlsx"


def indicator(code):
    """The version in force now (the 2022-03-15 table replaced the first rows)."""
    return Indicator.objects.filter(code=code).order_by("-effective_from").first()


def test_the_seed_scoring_table_is_loaded_as_data():
    codes = set(Indicator.objects.values_list("code", flat=True))
    assert {"serious_share", "code_error_rate", "check_ratio", "double_publicity", "data_volume"} <= codes
    assert indicator("double_publicity").points == Decimal("4.8")


@pytest.mark.parametrize(
    ("share", "points"),
    [("0.002", "4.00"), ("0.003", "4.00"), ("0.004", "2.00"), ("0.0045", "1.00"), ("0.005", "0.00"), ("0.01", "0.00")],
)
def test_serious_share_scores_full_below_03_percent_none_above_05_and_linear_between(share, points):
    assert score_for(indicator("serious_share"), Decimal(share)) == Decimal(points)


@pytest.mark.parametrize(("share", "points"), [("0.005", "0.00"), ("0.02", "3.00"), ("0.03", "6.00"), ("0.5", "6.00")])
def test_linear_rule_rising(share, points):
    assert score_for(indicator("xinyidai_share"), Decimal(share)) == Decimal(points)


def test_the_other_rule_shapes():
    assert score_for(indicator("check_ratio"), 1.0) == Decimal("0.00")  # must exceed 100%
    assert score_for(indicator("check_ratio"), 1.01) == Decimal("4.00")
    volume = indicator("data_volume")
    assert [score_for(volume, n) for n in (100_000_001, 90_000_000, 80_000_000)] == [
        Decimal("10.00"),
        Decimal("5.00"),
        Decimal("0.00"),
    ]
    assert score_for(indicator("xinyi_fields"), 30) == Decimal("4.00")
    assert score_for(indicator("xinyi_fields"), 25) == Decimal("3.00")
    assert score_for(indicator("xinyi_fields"), 0) == Decimal("0.00")
    specific = indicator("specific_categories")
    assert score_for(specific, {"社保": 200_000, "纳税": 199_999, "水": 300_000}) == Decimal("1.00")
    monthly = indicator("code_error_rate")
    assert score_for(monthly, [True] * 12) == Decimal("2.40")
    assert score_for(monthly, [True] * 11 + [False]) == Decimal("2.00")
    assert score_for(monthly, [False] * 3) == Decimal("0.00")  # never below zero
    assert score_for(indicator("city_ranking"), None) is None  # manual, not yet entered
    assert score_for(indicator("serious_share"), None) is None  # no data, no score


def test_a_revision_is_a_new_version_and_the_old_one_still_explains_the_past():
    old = indicator("check_ratio")
    Indicator.objects.create(
        code="check_ratio",
        name=old.name,
        group=old.group,
        measure=old.measure,
        points=Decimal("5"),
        rule=ScoreRule.ABOVE,
        params={"above": "1"},
        target=old.target,
        effective_from=datetime.date(2026, 1, 1),
    )
    by_code = {i.code: i for i in Indicator.objects.in_force(on=datetime.date(2025, 12, 31))}
    assert by_code["check_ratio"].points == Decimal("4")
    by_code = {i.code: i for i in Indicator.objects.in_force(on=datetime.date(2026, 1, 1))}
    assert by_code["check_ratio"].points == Decimal("5")


def test_an_indicator_with_missing_parameters_or_an_unknown_measure_is_refused():
    bad = Indicator(
        code="x",
        name="x",
        group="x",
        measure="no_such_figure",
        points=Decimal("1"),
        rule=ScoreRule.LINEAR,
        params={"zero_at": 0},
        target="x",
        effective_from=datetime.date(2024, 1, 1),
    )
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "full_at" in str(caught.value.message_dict["params"])
    assert "未知的数据来源" in str(caught.value.message_dict["measure"])
    bad.measure, bad.params, bad.manual_score = "check_ratio", {"zero_at": 0, "full_at": 1}, Decimal("2")
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "人工评分应在 0 到" in str(caught.value.message_dict["manual_score"])


def test_live_figures_follow_the_records(october):
    with at(2024, 10, 20, 12, 0):
        card = scorecard_build()
    lines = {line.indicator.code: line for line in card.lines}
    assert lines["data_volume"].measured.value == 3  # three records reported, the rejected row is not data
    # October: 及时率 2/3 and 合规率 3/4 — both items miss 100%, each costs 0.2; the 11 months before
    # had nothing to report and count as met (22 × 0.2 − 2 × 0.2 = 4.0).
    assert lines["double_publicity"].measured.value == [True] * 22 + [False, False]
    assert lines["double_publicity"].score == Decimal("4.00")
    assert lines["code_error_rate"].measured.value == [True]
    assert lines["code_error_rate"].score == Decimal("0.20")
    assert lines["xinyi_fields"].measured.value == 12  # 33 scenarios of the catalog's fixtures in 12 fields
    assert lines["repair_overdue"].measured.value == 0
    assert lines["city_ranking"].measured.value is None  # manual: entered by staff with evidence, none yet
    assert lines["city_ranking"].score is None
    assert card.total == sum(line.score for line in card.lines if line.score is not None)


def test_nightly_readings_are_idempotent_and_draw_the_trend(october):
    with at(2024, 9, 30, 23, 0):
        IndicatorReading.objects.create(code="data_volume", day=datetime.date(2024, 9, 30), value=1.0)
    with at(2024, 10, 20, 2, 30):
        first = nightly_indicator_readings.delay().get()
        second = nightly_indicator_readings.delay().get()
        card = scorecard_build()
    assert first == second and first["taken"] > 0
    assert IndicatorReading.objects.filter(day=datetime.date(2024, 10, 20), code="data_volume").count() == 1
    trend = {line.indicator.code: line.trend for line in card.lines}["data_volume"]
    assert trend == [("2024-09", 1.0), ("2024-10", 3.0)]


def test_only_the_credit_center_sees_the_dashboard(client, client_for, clerk_a, reviewer_a, subject_user, center):
    assert client.get(DASHBOARD).status_code == 302
    for user in (clerk_a, reviewer_a, subject_user):
        assert client_for(user).get(DASHBOARD).status_code == 403
        assert client_for(user).get(EXPORT).status_code == 403
    page = client_for(center).get(DASHBOARD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "市场主体黑名单清理" in html and "人工评分" in html
    assert 'href="/monitoring/ranking/"' in html  # drill-down to the rows behind 双公示


def test_the_export_lists_every_indicator_with_its_score(october, client_for, center):
    with at(2024, 10, 20, 12, 0):
        response = client_for(center).get(EXPORT)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    names = [row[1] for row in rows[2:-1]]
    assert names == [i.name for i in Indicator.objects.in_force(on=datetime.date(2024, 10, 20))]
    assert rows[-1][1] == "合计（已评分项，已扣除扣分事项）"


def test_each_rule_reads_as_words():
    from apps.monitoring.scorecard import rule_text

    assert rule_text(indicator("data_volume")) == "超过 1 亿 得 10 分；超过 8000 万 得 5 分；否则不得分"
    assert rule_text(indicator("serious_share")) == "低于 0.3% 得 4 分，高于 0.5% 不得分，之间按比例计分"
    assert rule_text(indicator("public_body_debtors")) == "满分 10 分，每出现 1 个扣 1 分，扣完为止"
    assert "连续 3 个月每月扣 2 分" in rule_text(indicator("deductions"))

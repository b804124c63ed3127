"""The assessment period (创建期) is policy data: the ``scorecard_period_months`` row in force on the day assessed,
with its source, loaded by migration 0006 — not a number in the code."""

import datetime

import pytest

from apps.catalog.choices import PolicyKey
from apps.catalog.models import Policy
from apps.monitoring.measuring import Period, period_months
from apps.records.policy import PolicyMissing

pytestmark = pytest.mark.django_db


def test_the_migration_loads_seed_001s_year_with_its_source():
    row = Policy.objects.get(key=PolicyKey.SCORECARD_PERIOD_MONTHS)
    assert (row.value, row.effective_from, row.record_type_id) == (12, datetime.date(2022, 3, 15), None)
    assert "邹政办字〔2022〕7号" in row.basis
    period = Period.ending(datetime.date(2022, 11, 30))
    # seed 001's own example: 最近一年（2021年12月至2022年11月）
    assert (period.first, period.last) == (datetime.date(2021, 12, 1), datetime.date(2022, 11, 30))
    assert (period.months[0].first, period.months[-1].first) == (datetime.date(2021, 12, 1), datetime.date(2022, 11, 1))
    assert len(period.months) == 12


def test_a_later_row_changes_the_period_from_its_date_and_earlier_days_keep_theirs():
    Policy.objects.create(
        key=PolicyKey.SCORECARD_PERIOD_MONTHS, value=6, effective_from=datetime.date(2027, 1, 1), basis="新的考核方案"
    )
    later = Period.ending(datetime.date(2027, 3, 10))
    assert (later.first, len(later.months)) == (datetime.date(2026, 10, 1), 6)
    earlier = Period.ending(datetime.date(2026, 12, 31))
    assert (earlier.first, len(earlier.months)) == (datetime.date(2026, 1, 1), 12)


def test_a_day_before_the_first_row_is_judged_by_the_first_row():
    assert period_months(datetime.date(2021, 6, 30)) == 12


def test_without_a_row_the_period_is_refused_not_guessed():
    Policy.objects.filter(key=PolicyKey.SCORECARD_PERIOD_MONTHS).delete()
    with pytest.raises(PolicyMissing, match="考核创建期"):
        Period.ending(datetime.date(2026, 12, 7))

"""The estimated calendar: years without a State Council notice in the official
library are computed by python-holidays from 《全国年节及纪念日放假办法》 (as
amended 2024) and the lunar calendar (issue 14, item 8)."""

import datetime
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import holidays
import pytest
import time_machine
from django.urls import reverse

from apps.commitments.models import Commitment
from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row
from apps.repair.models import RepairApplication
from apps.workdays import services
from apps.workdays.choices import CalendarSource, OverrideKind
from apps.workdays.services import (
    ESTIMATED_FIRST_YEAR,
    ESTIMATED_LAST_YEAR,
    DeadlineTable,
    calendar_override_set,
    calendar_source_for,
    is_workday,
    workdays_add,
)

pytestmark = pytest.mark.django_db

D = datetime.date
DEADLINE = "/api/v1/workdays/deadline/"
PAGE = "/workdays/"

# 2027 worked out by hand from the 办法: 元旦 1 day, 春节 4 (除夕 + 初一–初三),
# 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3 = 13 days. Article 6: a holiday for all
# citizens that falls on a Saturday or Sunday is made up on a working day.
#   元旦 Fri 01-01 · 春节 除夕 Fri 02-05, 初一 Sat 02-06, 初二 Sun 02-07, 初三 Mon 02-08
#   → 补假 Tue 02-09, Wed 02-10 · 清明 Mon 04-05 · 劳动节 Sat 05-01, Sun 05-02
#   → 补假 Mon 05-03, Tue 05-04 · 端午 (五月初五) Wed 06-09 · 中秋 (八月十五) Wed 09-15
#   · 国庆 Fri 10-01, Sat 10-02, Sun 10-03 → 补假 Mon 10-04, Tue 10-05.
WEEKDAYS_OFF_2027 = {
    D(2027, 1, 1),
    D(2027, 2, 5),
    D(2027, 2, 8),
    D(2027, 2, 9),
    D(2027, 2, 10),
    D(2027, 4, 5),
    D(2027, 5, 3),
    D(2027, 5, 4),
    D(2027, 6, 9),
    D(2027, 9, 15),
    D(2027, 10, 1),
    D(2027, 10, 4),
    D(2027, 10, 5),
}


def test_the_estimated_range_is_read_from_the_library():
    assert (ESTIMATED_FIRST_YEAR, ESTIMATED_LAST_YEAR) == (holidays.China.start_year, holidays.China.end_year)
    assert (ESTIMATED_FIRST_YEAR, ESTIMATED_LAST_YEAR) == (1950, 2100)
    # Outside its range the library answers "no holidays" rather than refusing,
    # which is why the range, not an empty answer, decides the source.
    assert len(holidays.country_holidays("CN", years=ESTIMATED_LAST_YEAR + 1)) == 0


def test_new_year_2027_is_not_a_working_day():
    # Thu 2026-12-31 (official calendar, the uncounted start); Fri 2027-01-01 元旦;
    # Sat/Sun Jan 2–3; the first working day is Mon 2027-01-04.
    result = workdays_add(start=D(2026, 12, 31), days=1)
    assert result.deadline == D(2027, 1, 4)
    assert result.calendar == CalendarSource.ESTIMATED
    assert result.is_estimated and not result.is_fallback


@pytest.mark.parametrize("day", [D(2027, 2, 5), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10)])
def test_spring_festival_2027_is_not_working_days(day):
    assert is_workday(day) is False


def test_2027_has_exactly_the_statutory_days_off_and_no_makeup_saturdays():
    table = DeadlineTable(first=D(2027, 1, 1), last=D(2027, 12, 31))
    working = set(table.days)
    weekdays = {d for d in (D(2027, 1, 1) + datetime.timedelta(days=i) for i in range(365)) if d.weekday() < 5}
    assert weekdays - working == WEEKDAYS_OFF_2027
    # No 调休 is known before the notice: every weekend day stays a day off.
    assert all(d.weekday() < 5 for d in working)
    assert len(working) == 261 - 13


def test_a_staff_override_wins_over_the_estimated_calendar(center):
    # The 2027 notice may well make Sat 02-13 a 调休 working day and give Thu 02-11 off.
    assert is_workday(D(2027, 2, 11)) is True
    assert workdays_add(start=D(2027, 2, 10), days=2).deadline == D(2027, 2, 12)

    calendar_override_set(date=D(2027, 2, 11), kind=OverrideKind.HOLIDAY, note="春节放假", user=center)
    calendar_override_set(date=D(2027, 2, 13), kind=OverrideKind.WORKDAY, note="春节调休上班", user=center)
    calendar_override_set(date=D(2027, 1, 1), kind=OverrideKind.WORKDAY, note="本地更正", user=center)

    assert is_workday(D(2027, 2, 11)) is False
    assert is_workday(D(2027, 2, 13)) is True
    assert is_workday(D(2027, 1, 1)) is True
    result = workdays_add(start=D(2027, 2, 10), days=2)
    assert result.deadline == D(2027, 2, 13)
    # The overrides are not the whole notice: the answer stays estimated.
    assert result.calendar == CalendarSource.ESTIMATED
    assert workdays_add(start=D(2026, 12, 31), days=1).deadline == D(2027, 1, 1)


def test_a_year_beyond_the_library_falls_back_to_monday_to_friday():
    year = ESTIMATED_LAST_YEAR + 1
    assert is_workday(D(year, 1, 3)) is True  # a Monday
    assert is_workday(D(year, 1, 1)) is False  # a Saturday; 元旦 unknown, Mon–Fri only
    result = workdays_add(start=D(year, 1, 3), days=5)
    assert (result.deadline, result.calendar) == (D(year, 1, 10), CalendarSource.FALLBACK)


def test_without_the_library_years_without_a_notice_fall_back():
    # A real import failure in a fresh interpreter: ``sys.modules[name] = None``
    # makes ``import holidays`` raise ImportError, as if the package were absent.
    code = textwrap.dedent(
        """
        import datetime, sys
        sys.modules["holidays"] = None
        import django
        django.setup()
        from apps.workdays import services
        from apps.workdays.choices import CalendarSource
        D = datetime.date
        assert services.ESTIMATED_FIRST_YEAR is None and services.ESTIMATED_LIBRARY_VERSION is None
        assert services._base_is_workday(D(2027, 1, 1)) is True  # a Friday, 元旦 unknown
        assert services._base_is_workday(D(2026, 1, 1)) is False  # the official notices still apply
        assert services.calendar_source_for(start=D(2027, 1, 1), end=D(2027, 1, 4)) == CalendarSource.FALLBACK
        assert services.calendar_source_for(start=D(2026, 1, 5), end=D(2026, 1, 6)) == CalendarSource.OFFICIAL
        print("ok")
        """
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "credit_portal.settings"}
    root = Path(services.__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize(
    ("start", "end", "source"),
    [
        (D(2026, 6, 1), D(2026, 6, 30), CalendarSource.OFFICIAL),
        (D(2026, 12, 1), D(2027, 1, 31), CalendarSource.ESTIMATED),
        (D(2026, 12, 1), D(2101, 1, 31), CalendarSource.FALLBACK),
        (D(2101, 1, 31), D(2026, 12, 1), CalendarSource.FALLBACK),  # order does not matter
        (D(1949, 12, 1), D(1950, 1, 31), CalendarSource.FALLBACK),
    ],
)
def test_the_label_is_the_weakest_year_of_the_span(start, end, source):
    assert calendar_source_for(start=start, end=end) == source


def test_bulk_deadlines_use_the_estimated_calendar_and_compute_each_year_once():
    services._estimated_year.cache_clear()
    services._base_is_workday.cache_clear()
    table = DeadlineTable(first=D(2026, 12, 1), last=D(2027, 12, 31))
    result = table.add(start=D(2026, 12, 31), days=1)
    assert (result.deadline, result.calendar) == (D(2027, 1, 4), CalendarSource.ESTIMATED)
    assert services._estimated_year.cache_info().misses == 1


def test_every_stored_calendar_column_fits_the_new_label():
    longest = max(len(value) for value in CalendarSource.values)
    assert Record._meta.get_field("deadline_calendar").max_length >= longest
    assert Commitment._meta.get_field("deadline_calendar").max_length >= longest
    assert RepairApplication._meta.get_field("due_calendar").max_length >= longest


def test_the_public_api_answers_estimated(client):
    response = client.get(DEADLINE, {"start": "2026-12-31", "days": 1})
    assert response.status_code == 200
    assert response.json() == {"start": "2026-12-31", "days": 1, "deadline": "2027-01-04", "calendar": "estimated"}


def test_the_calculator_page_explains_the_estimated_calendar(client_for, center):
    page = client_for(center).get(PAGE, {"start": "2026-12-31", "days": 1}).content.decode()
    assert "2027年1月4日（星期一）" in page
    assert "预估日历（法定节假日推算，未含调休）</span>" in page
    assert "推定日历（周一至周五）</span>" not in page
    # The coverage section says which years the estimate covers and what it cannot know; software names and
    # versions are internals and stay off the page (issue 16 item 5).
    assert f"可推算 {services.ESTIMATED_FIRST_YEAR}–{services.ESTIMATED_LAST_YEAR} 年" in page
    assert f"holidays {holidays.__version__}" not in page
    assert "调休上班的周末仍按休息日计" in page


@time_machine.travel(datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC))
def test_the_page_says_next_year_is_estimated_until_the_notice_is_entered(client_for, center):
    page = client_for(center).get(PAGE).content.decode()
    assert "2027 年国家放假安排尚未收录，目前按法定节假日预估（未含调休上班日）" in page
    assert "目前按周一至周五推定" not in page


def test_a_record_decided_before_new_year_stores_and_shows_the_estimated_calendar(client_for, clerk_a, dept_a):
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    with time_machine.travel(datetime.datetime(2026, 12, 31, 10, 0, tzinfo=shanghai), tick=False):
        records_ingest(
            record_type="penalty",
            department=dept_a,
            rows=[(2, penalty_row(dept_a, CF_JDRQ="2026-12-30", CF_WSH="乳市监罚〔2026〕88号"))],
        )
        record = Record.objects.get()
        # Thu 12-31, then 元旦 off: Mon 01-04 … Fri 01-08, Mon 01-11 is the 7th working day.
        assert (record.report_deadline, record.deadline_calendar) == (D(2027, 1, 11), "estimated")
        client = client_for(clerk_a)
        detail = client.get(reverse("records:detail", args=[record.pk])).content.decode()
        assert "2027-01-11（预估日历，未含调休）" in detail
        listing = client.get(reverse("records:list")).content.decode()
        assert 'title="该年度放假安排未公布，按法定节假日推算，未含调休">预估</span>' in listing

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from apps.workdays.choices import CalendarSource, OverrideKind
from apps.workdays.models import CalendarOverride
from apps.workdays.services import (
    MAX_DAYS,
    OFFICIAL_FIRST_YEAR,
    OFFICIAL_LAST_YEAR,
    calendar_override_delete,
    calendar_override_set,
    is_workday,
    workdays_add,
    workdays_between,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def test_library_range_is_read_from_the_library():
    import chinese_calendar

    assert (OFFICIAL_FIRST_YEAR, OFFICIAL_LAST_YEAR) == (2004, 2026)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(OFFICIAL_LAST_YEAR + 1, 1, 4))


def test_domain_example_national_day_2024():
    result = workdays_add(start=D(2024, 9, 27), days=7)
    assert result.deadline == D(2024, 10, 12)
    assert result.calendar == CalendarSource.OFFICIAL
    assert (result.start, result.days) == (D(2024, 9, 27), 7)


def test_days_zero_returns_start():
    result = workdays_add(start=D(2024, 10, 1), days=0)
    assert result.deadline == D(2024, 10, 1)
    assert result.calendar == CalendarSource.OFFICIAL


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        # Spring Festival 2025: Jan 28 – Feb 4 off; Sun Jan 26 and Sat Feb 8 worked.
        (D(2025, 1, 24), 1, D(2025, 1, 26)),
        (D(2025, 1, 24), 2, D(2025, 1, 27)),
        (D(2025, 1, 24), 3, D(2025, 2, 5)),
        (D(2025, 1, 27), 1, D(2025, 2, 5)),
        (D(2025, 2, 5), 3, D(2025, 2, 8)),
        # National Day 2025: Oct 1–8 off; Sun Sep 28 and Sat Oct 11 worked.
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 26), 7, D(2025, 10, 13)),
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 10, 9), 2, D(2025, 10, 11)),
    ],
)
def test_official_holidays_and_in_lieu_saturdays(start, days, deadline):
    result = workdays_add(start=start, days=days)
    assert result.deadline == deadline
    assert result.calendar == CalendarSource.OFFICIAL


def test_is_workday_follows_the_official_calendar():
    assert is_workday(D(2025, 2, 8)) is True  # 调休 Saturday
    assert is_workday(D(2025, 10, 8)) is False  # Wednesday in the National Day break
    assert is_workday(D(2025, 10, 18)) is False  # ordinary Saturday


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        (D(2027, 1, 4), 5, D(2027, 1, 11)),  # Monday, first full week of a year without a notice
        (D(2030, 1, 2), 3, D(2030, 1, 7)),
        (D(2099, 12, 30), 3, D(2100, 1, 5)),  # Fri 2100-01-01 is 元旦
        (D(1990, 1, 2), 3, D(1990, 1, 5)),  # before the official library starts
        (D(2003, 12, 30), 1, D(2003, 12, 31)),
    ],
)
def test_years_outside_the_official_library_are_estimated(start, days, deadline):
    result = workdays_add(start=start, days=days)
    assert result.deadline == deadline
    assert result.calendar == CalendarSource.ESTIMATED


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        (D(2101, 1, 3), 5, D(2101, 1, 10)),  # after python-holidays' last year (2100)
        (D(1949, 1, 3), 3, D(1949, 1, 6)),  # before its first (1950)
    ],
)
def test_years_outside_both_libraries_fall_back_to_monday_to_friday(start, days, deadline):
    result = workdays_add(start=start, days=days)
    assert result.deadline == deadline
    assert result.calendar == CalendarSource.FALLBACK


def test_a_deadline_crossing_into_a_year_without_a_notice_is_estimated():
    # Wed 2026-12-30: Dec 31 (official), Fri 2027-01-01 元旦 (estimated), Mon Jan 4, Tue Jan 5.
    result = workdays_add(start=D(2026, 12, 30), days=3)
    assert result.deadline == D(2027, 1, 5)
    assert result.calendar == CalendarSource.ESTIMATED


def test_a_deadline_crossing_into_a_year_neither_library_covers_is_fallback():
    # Thu 2100-12-30 (estimated) → Fri Dec 31, Mon 2101-01-03, Tue Jan 4 (Mon–Fri).
    result = workdays_add(start=D(2100, 12, 30), days=3)
    assert result.deadline == D(2101, 1, 4)
    assert result.calendar == CalendarSource.FALLBACK


def test_only_examined_days_decide_the_calendar():
    # 2003-12-31 is the (uncounted) start; every day examined is in 2004.
    assert workdays_add(start=D(2003, 12, 31), days=1).calendar == CalendarSource.OFFICIAL
    assert workdays_add(start=D(2030, 1, 2), days=0).calendar == CalendarSource.ESTIMATED
    assert workdays_add(start=D(2101, 1, 3), days=0).calendar == CalendarSource.FALLBACK


def test_is_workday_never_crashes_outside_the_library():
    assert is_workday(D(2030, 1, 7)) is True
    assert is_workday(D(2030, 1, 5)) is False
    assert is_workday(D(1949, 1, 3)) is True  # no data for 1949: a Monday counts
    assert is_workday(datetime.datetime(2030, 1, 7, 9, 30)) is True
    assert is_workday(datetime.date.min) is True  # 0001-01-01 was a Monday
    assert is_workday(datetime.date.max) is True  # 9999-12-31 is a Friday


def test_overrides_change_an_uncovered_year(center):
    calendar_override_set(date=D(2027, 1, 5), kind=OverrideKind.HOLIDAY, note="元旦调整", user=center)
    result = workdays_add(start=D(2027, 1, 4), days=5)
    assert result.deadline == D(2027, 1, 12)
    assert result.calendar == CalendarSource.ESTIMATED  # still provisional: the year is not in the official library

    calendar_override_set(date=D(2027, 1, 9), kind=OverrideKind.WORKDAY, note="调休上班", user=center)
    assert workdays_add(start=D(2027, 1, 4), days=5).deadline == D(2027, 1, 11)


def test_overrides_win_over_the_library(center):
    assert is_workday(D(2024, 10, 12)) is True
    calendar_override_set(date=D(2024, 10, 12), kind=OverrideKind.HOLIDAY, note="本地更正", user=center)
    assert is_workday(D(2024, 10, 12)) is False
    assert workdays_add(start=D(2024, 9, 27), days=7).deadline == D(2024, 10, 14)


def test_overrides_are_loaded_in_one_query(center, django_assert_num_queries):
    for day in (D(2027, 1, 5), D(2027, 2, 10), D(2027, 6, 1)):
        calendar_override_set(date=day, kind=OverrideKind.HOLIDAY, note="", user=center)
    with django_assert_num_queries(1):
        result = workdays_add(start=D(2027, 1, 1), days=250)
    assert result.calendar == CalendarSource.ESTIMATED
    with django_assert_num_queries(1):
        workdays_between(start=D(2024, 1, 1), end=D(2027, 12, 31))


def test_a_long_run_of_entered_holidays_still_finds_the_deadline(center):
    # 60 consecutive holidays: longer than the first prefetch window for days=1.
    first = D(2030, 1, 1)
    for offset in range(60):
        CalendarOverride.objects.create(date=first + datetime.timedelta(days=offset), kind=OverrideKind.HOLIDAY)
    assert workdays_add(start=D(2029, 12, 31), days=1).deadline == D(2030, 3, 4)


def test_a_year_without_working_days_is_refused_not_looped(center):
    first = D(2031, 1, 1)
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=first + datetime.timedelta(days=offset), kind=OverrideKind.HOLIDAY)
        for offset in range(400)
    )
    with pytest.raises(ValueError, match="连续一年以上没有工作日"):
        workdays_add(start=D(2030, 12, 31), days=1)


@pytest.mark.parametrize("days", [-1, MAX_DAYS + 1])
def test_days_out_of_range_is_refused_in_chinese(days):
    with pytest.raises(ValueError, match="工作日天数"):
        workdays_add(start=D(2024, 1, 1), days=days)


def test_days_must_be_an_integer():
    with pytest.raises(TypeError):
        workdays_add(start=D(2024, 1, 1), days="7")


def test_the_largest_allowed_span_is_answered():
    result = workdays_add(start=D(2024, 1, 1), days=MAX_DAYS)
    assert result.deadline.year > 2036
    assert result.calendar == CalendarSource.ESTIMATED


def test_dates_past_the_end_of_the_calendar_give_a_chinese_error():
    with pytest.raises(ValueError, match="超出了可支持的日期范围"):
        workdays_add(start=D(9999, 12, 30), days=5)


@pytest.mark.parametrize(
    "start",
    [D(2024, 9, 27), D(2025, 1, 24), D(2025, 9, 30), D(2026, 12, 25), D(2027, 1, 4), D(2003, 12, 20), D(2024, 2, 29)],
)
@pytest.mark.parametrize("days", [1, 2, 5, 7, 12, 30])
def test_workdays_between_is_the_inverse_of_workdays_add(start, days):
    deadline = workdays_add(start=start, days=days).deadline
    assert workdays_between(start=start, end=deadline) == days
    assert workdays_between(start=start, end=deadline - datetime.timedelta(days=1)) == days - 1


def test_workdays_between_examples():
    assert workdays_between(start=D(2024, 9, 27), end=D(2024, 10, 12)) == 7
    assert workdays_between(start=D(2024, 9, 27), end=D(2024, 10, 14)) == 8
    assert workdays_between(start=D(2024, 9, 27), end=D(2024, 9, 27)) == 0
    assert workdays_between(start=D(2024, 9, 27), end=D(2024, 9, 1)) == 0  # reported before the decision
    assert workdays_between(start=D(2030, 1, 4), end=D(2030, 1, 11)) == 5


def test_override_set_creates_then_updates_by_date(center, admin_user):
    override, created = calendar_override_set(
        date=D(2027, 2, 6), kind=OverrideKind.WORKDAY, note="春节调休", user=center
    )
    assert created
    assert override.created_by == center

    again, created = calendar_override_set(date=D(2027, 2, 6), kind=OverrideKind.HOLIDAY, note="更正", user=admin_user)
    assert not created
    assert again.pk == override.pk
    assert (again.kind, again.note, again.created_by) == (OverrideKind.HOLIDAY, "更正", center)
    assert CalendarOverride.objects.count() == 1


def test_override_set_validates_in_chinese(center):
    with pytest.raises(ValidationError) as exc:
        calendar_override_set(date=D(2027, 2, 6), kind="weekend", note="", user=center)
    assert "类型" in exc.value.message_dict["kind"][0]
    with pytest.raises(ValidationError) as exc:
        calendar_override_set(date=D(2027, 2, 6), kind=OverrideKind.HOLIDAY, note="长" * 201, user=center)
    assert "200" in exc.value.message_dict["note"][0]
    assert not CalendarOverride.objects.exists()


def test_override_changes_are_audit_logged_with_the_actor_outside_requests(center, admin_user):
    override, _ = calendar_override_set(date=D(2027, 1, 5), kind=OverrideKind.HOLIDAY, note="", user=center)
    calendar_override_set(date=D(2027, 1, 5), kind=OverrideKind.WORKDAY, note="", user=admin_user)
    entries = LogEntry.objects.get_for_object(override).order_by("timestamp")
    assert [(e.action, e.actor) for e in entries] == [
        (LogEntry.Action.CREATE, center),
        (LogEntry.Action.UPDATE, admin_user),
    ]
    assert entries[1].changes_dict["kind"] == ["holiday", "workday"]

    pk = override.pk
    calendar_override_delete(override=override, user=center)
    deleted = LogEntry.objects.filter(object_pk=str(pk), action=LogEntry.Action.DELETE).get()
    assert deleted.actor == center


def test_saving_an_unchanged_override_writes_no_audit_entry(center):
    override, _ = calendar_override_set(date=D(2027, 1, 5), kind=OverrideKind.HOLIDAY, note="通知", user=center)
    calendar_override_set(date=D(2027, 1, 5), kind=OverrideKind.HOLIDAY, note="通知", user=center)
    assert LogEntry.objects.get_for_object(override).count() == 1

import datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from apps.workdays.choices import OverrideKind
from apps.workdays.models import CalendarOverride
from apps.workdays.services import calendar_override_set

pytestmark = pytest.mark.django_db

PAGE = "/workdays/"


def test_url_name_is_stable():
    assert reverse("workdays:overrides") == PAGE


def test_anonymous_is_sent_to_login_and_clerks_are_refused(client, client_for, clerk_a, subject_user):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client_for(clerk_a).get(PAGE).status_code == 403
    assert client_for(subject_user).get(PAGE).status_code == 403


def test_clerks_cannot_change_overrides_through_the_page(client, client_for, clerk_a, center):
    calendar_override_set(date=datetime.date(2027, 1, 5), kind=OverrideKind.HOLIDAY, note="", user=center)
    set_url = reverse("workdays:override_set")
    delete_url = reverse("workdays:override_delete", args=["2027-01-05"])
    assert client_for(clerk_a).post(set_url, {"date": "2027-01-06", "kind": "holiday"}).status_code == 403
    assert client_for(clerk_a).post(delete_url).status_code == 403
    assert client.post(delete_url).status_code == 302
    assert list(CalendarOverride.objects.values_list("date", flat=True)) == [datetime.date(2027, 1, 5)]


def test_page_lists_overrides_by_year_and_the_library_range(client_for, center):
    calendar_override_set(date=datetime.date(2026, 10, 9), kind=OverrideKind.WORKDAY, note="本地更正", user=center)
    calendar_override_set(date=datetime.date(2027, 1, 5), kind=OverrideKind.HOLIDAY, note="元旦通知", user=center)
    page = client_for(center).get(PAGE).content.decode()
    assert "2004–2026 年" in page
    assert "2026 年" in page and "2027 年" in page
    assert "元旦通知" in page and "本地更正" in page

    only_2027 = client_for(center).get(PAGE, {"year": 2027}).content.decode()
    assert "元旦通知" in only_2027
    assert "本地更正" not in only_2027


def test_center_adds_updates_and_deletes_an_override(client_for, center):
    browser = client_for(center)
    response = browser.post(reverse("workdays:override_set"), {"date": "2027-01-05", "kind": "holiday", "note": "元旦"})
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?year=2027"
    assert CalendarOverride.objects.get().kind == OverrideKind.HOLIDAY

    browser.post(reverse("workdays:override_set"), {"date": "2027-01-05", "kind": "workday", "note": "更正"})
    override = CalendarOverride.objects.get()
    assert (override.kind, override.note, override.created_by) == (OverrideKind.WORKDAY, "更正", center)

    followed = browser.post(reverse("workdays:override_delete", args=["2027-01-05"]), follow=True)
    assert "已删除 2027-01-05" in followed.content.decode()
    assert not CalendarOverride.objects.exists()

    entries = LogEntry.objects.filter(object_pk=str(override.pk)).order_by("timestamp")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE]
    assert {e.actor for e in entries} == {center}


def test_invalid_override_form_shows_chinese_errors(client_for, center):
    response = client_for(center).post(reverse("workdays:override_set"), {"date": "2027-02-30", "kind": "weekend"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "请输入有效日期" in page
    assert "请选择“放假”或“调休上班”" in page
    assert not CalendarOverride.objects.exists()


def test_the_page_does_not_accept_get_on_the_write_urls(client_for, center):
    assert client_for(center).get(reverse("workdays:override_set")).status_code == 405


def test_calculator_shows_an_official_result(client_for, center):
    page = client_for(center).get(PAGE, {"start": "2024-09-27", "days": 7}).content.decode()
    assert "2024年10月12日（星期六）" in page
    assert "官方日历" in page
    assert "推定日历（周一至周五）</span>" not in page


def test_calculator_says_when_it_used_the_fallback_calendar(client_for, center):
    page = client_for(center).get(PAGE, {"start": "2101-01-03", "days": 5}).content.decode()
    assert "2101年1月10日" in page
    assert "推定日历（周一至周五）" in page
    assert "请信用中心录入该年度放假通知" in page


def test_calculator_reports_bad_input(client_for, center):
    page = client_for(center).get(PAGE, {"start": "2024-13-01", "days": -1}).content.decode()
    assert "请输入有效日期" in page
    assert "工作日天数不能为负数" in page


@time_machine.travel(datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC))
def test_page_warns_when_next_years_notice_is_missing(client_for, center):
    page = client_for(center).get(PAGE).content.decode()
    assert "2027 年国家放假安排尚未收录" in page
    assert "2026 年国家放假安排尚未收录" not in page

    calendar_override_set(date=datetime.date(2027, 1, 1), kind=OverrideKind.HOLIDAY, note="元旦", user=center)
    assert "已录入 1 条调整" in client_for(center).get(PAGE).content.decode()


@time_machine.travel(datetime.datetime(2025, 6, 1, 9, 0, tzinfo=datetime.UTC))
def test_no_warning_while_this_year_and_next_are_covered(client_for, center):
    assert "尚未收录，" not in client_for(center).get(PAGE).content.decode()


def test_admin_sets_created_by(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("admin:workdays_calendaroverride_add"), {"date": "2027-01-05", "kind": "holiday", "note": "后台录入"}
    )
    assert response.status_code == 302
    override = CalendarOverride.objects.get()
    assert override.created_by == admin_user
    assert LogEntry.objects.get_for_object(override).get().actor == admin_user


def test_calendar_page_names_no_software_versions(client_for, center):
    """Staff read what the calendar covers, not which library version computes it (issue 16 item 5)."""
    from apps.workdays import services

    html = client_for(center).get(reverse("workdays:overrides")).content.decode()
    assert f"{services.OFFICIAL_FIRST_YEAR}–{services.OFFICIAL_LAST_YEAR} 年" in html
    assert "chinesecalendar" not in html and services.OFFICIAL_LIBRARY_VERSION not in html

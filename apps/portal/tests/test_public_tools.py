"""The home page's tools are pages of the site, not developer pages (issue 16 bug 3)."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_links_to_site_pages_not_the_api(client):
    html = client.get(reverse("portal:home")).content.decode()
    for name in ("portal:departments", "portal:code_check", "portal:deadline"):
        assert f'href="{reverse(name)}"' in html
    assert "/api/" not in html


def test_department_directory_lists_departments_and_what_they_report(client, dept_a):
    html = client.get(reverse("portal:departments")).content.decode()
    assert dept_a.name in html and dept_a.uscc in html
    assert "行政处罚" in html and "行政许可" in html


def test_code_check_answers_in_chinese(client):
    good = client.get(reverse("portal:code_check"), {"code": " 11371083mb1234562x "}).content.decode()
    bad = client.get(reverse("portal:code_check"), {"code": "11371083MB1234563X"}).content.decode()
    assert "不符合国家标准" in bad and "校验码不符" in bad
    assert "11371083MB1234562X" in good and "符合国家标准" in good and "不符合国家标准" not in good
    empty = client.get(reverse("portal:code_check"), {"code": ""}).content.decode()
    assert "请输入统一社会信用代码" in empty
    long = client.get(reverse("portal:code_check"), {"code": "9" * 41})
    assert long.status_code == 200 and "代码过长" in long.content.decode()


@time_machine.travel(datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_deadline_calculator_names_its_calendar(client):
    html = client.get(reverse("portal:deadline"), {"start": "2024-09-27", "days": "7"}).content.decode()
    assert "2024年10月12日" in html and "官方日历" in html
    estimated = client.get(reverse("portal:deadline"), {"start": "2026-12-31", "days": "1"}).content.decode()
    assert "2027年1月4日" in estimated and "预估日历" in estimated
    wrong = client.get(reverse("portal:deadline"), {"start": "2024-13-40", "days": "-1"}).content.decode()
    assert "请输入有效日期" in wrong and "工作日天数不能为负数" in wrong


def test_every_page_has_the_sites_icon(client):
    from django.contrib.staticfiles import finders

    html = client.get(reverse("portal:home")).content.decode()
    assert 'rel="icon"' in html and "img/favicon" in html
    assert finders.find("img/favicon.svg")


def test_record_summary_has_no_doubled_marks(dept_a):
    """A part that ends in its own full stop is not followed by "；" (issue 16 item 11: "。；")."""
    from apps.portal.selectors import record_rows
    from apps.records.models import Record
    from apps.records.services import records_ingest
    from apps.records.tests.factories import penalty_row

    records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a))])
    summary = record_rows([Record.objects.get()])[0].summary
    assert summary and "。；" not in summary and not summary.endswith("；")


def test_home_page_shows_figures_latest_records_and_lists(client, dept_a):
    from django.core.cache import cache

    from apps.records.services import records_ingest
    from apps.records.tests.factories import penalty_row

    cache.clear()
    with time_machine.travel(datetime.datetime(2024, 10, 10, 2, 0, tzinfo=datetime.UTC), tick=False):
        records_ingest(record_type="penalty", department=dept_a, rows=[(None, penalty_row(dept_a))])
        html = client.get(reverse("portal:home")).content.decode()
    assert 'id="home-figures"' in html and "公示中的双公示信息" in html
    assert "乳市监罚〔2024〕1号" in html  # the latest 双公示
    assert "守信激励名单" in html and "严重失信主体名单" in html
    cache.clear()


def test_search_results_are_paged(client, settings):
    from apps.subjects.codes import build_uscc
    from apps.subjects.models import Subject

    Subject.objects.bulk_create(
        [
            Subject(
                kind="legal", name=f"乳山市鑫源分店{n:02d}有限公司", uscc=build_uscc("91", "371083", f"MA3P{n:04d}")
            )
            for n in range(45)
        ]
    )
    first = client.get(reverse("portal:search"), {"q": "鑫源"})
    assert len(first.context["page_obj"]) == 20 and "第 1 / 3 页" in first.content.decode()
    third = client.get(reverse("portal:search"), {"q": "鑫源", "page": "3"})
    assert len(third.context["page_obj"]) == 5
    assert client.get(reverse("portal:search"), {"q": "鑫源", "page": "x"}).status_code in (200, 400)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement timeout is PostgreSQL's")
def test_a_home_figure_past_the_timeout_is_left_out_and_the_page_goes_on():
    from django.db import transaction

    from apps.portal.home import _count
    from apps.subjects.models import Subject

    # An uncorrelated condition is a one-time filter: PostgreSQL evaluates (sleeps) before reading any row.
    slow = Subject.objects.extra(where=["(SELECT true FROM pg_sleep(0.3))"])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        assert _count(slow) is None
        assert _count(Subject.objects.all()) == Subject.objects.count()  # the transaction is still usable

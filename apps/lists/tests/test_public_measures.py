"""The measures list published to everyone (文登 #18: 动态更新并向社会公开)."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.lists.models import ListType, Measure
from apps.lists.services import measure_revise

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def page(**query):
    response = Client().get(reverse("lists_public:measures"), query)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_visitor_reads_measures_in_force_with_basis_department_and_lists():
    html = page()
    m = Measure.objects.get(code="CJ-01", version=1)
    assert "联合奖惩措施清单" in html
    assert m.name in html and m.implementing_department in html
    assert m.legal_basis.splitlines()[0][:20] in html
    assert "失信被执行人" in html  # an applicable list, by name
    # Staff-only controls never reach the public page.
    assert reverse("lists:measure_detail", args=[m.pk]) not in html
    assert "新增措施" not in html


def test_a_revision_shows_the_day_it_takes_effect_and_not_before():
    current = Measure.objects.get(code="CJ-01", version=1)
    measure_revise(
        current=current,
        fields={
            "name": "限制参与招标投标（修订）",
            "kind": current.kind,
            "content": current.content,
            "legal_basis": current.legal_basis,
            "implementing_department": current.implementing_department,
        },
        list_types=list(current.list_types.all()),
        matters=list(current.matters.all()),
        effective_from=datetime.date(2024, 11, 1),
    )
    html = page(q="招标投标")
    assert "限制参与招标投标" in html and "（修订）" not in html
    with time_machine.travel(datetime.datetime(2024, 11, 1, 2, 0, tzinfo=datetime.UTC), tick=False):
        html = page(q="招标投标")
    assert "限制参与招标投标（修订）" in html and "第 2 版" in html


def test_retired_measure_and_private_list_type_are_not_published():
    m = Measure.objects.get(code="CJ-02", version=1)
    m.effective_to = datetime.date(2024, 10, 1)
    m.save()
    hidden = ListType.objects.get(code="wage_arrears")
    hidden.is_public = False
    hidden.save()
    html = page()
    assert m.name not in html
    assert hidden.name not in html


def test_kind_filter_search_and_pages():
    rewards = page(kind="reward")
    assert "守信激励措施" in rewards and "限制参与招标投标" not in rewards
    assert "没有符合条件的现行措施" in page(q="不存在的措施名称")
    for i in range(25):
        Measure.objects.create(
            code=f"ZZ-{i:02d}",
            name=f"测试措施{i:02d}",
            kind="punishment",
            legal_basis="测试依据",
            implementing_department="测试部门",
            effective_from=datetime.date(2024, 1, 1),
        )
    first, second = page(q="测试措施"), page(q="测试措施", page=2)
    assert first.count("测试依据") == 20 and second.count("测试依据") == 5
    assert "page=2" in first and "q=" in first


def test_hostile_text_in_a_measure_is_masked():
    Measure.objects.create(
        code="ZZ-99",
        name="测试措施",
        kind="punishment",
        content="联系人 13800138000，身份证 371083199001011235",
        legal_basis="依据",
        implementing_department="部门",
        effective_from=datetime.date(2024, 1, 1),
    )
    html = page(q="测试措施")
    assert "13800138000" not in html and "371083199001011235" not in html


def test_public_nav_and_columns_link_the_new_pages():
    home = Client().get(reverse("portal:home")).content.decode()
    assert reverse("lists_public:measures") in home
    assert reverse("commitments:public_templates") in home and reverse("commitments:public_matters") in home
    columns = Client().get(reverse("portal:columns")).content.decode()
    assert reverse("lists_public:measures") in columns and reverse("commitments:public_matters") in columns
    assert reverse("portal:columns") in home  # the public nav

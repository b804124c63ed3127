"""Credit-center management of list types, matters and the versioned measures list."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.lists.models import ListType, Matter, Measure

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 10, 10)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def measure(code="CJ-01"):
    return Measure.objects.get(code=code, version=1)


def revision(m, **changes):
    data = {
        "name": m.name,
        "kind": m.kind,
        "content": m.content,
        "legal_basis": m.legal_basis,
        "implementing_department": m.implementing_department,
        "list_types": [t.pk for t in m.list_types.all()],
        "matters": [x.pk for x in m.matters.all()],
        "effective_from": "2024-11-01",
    }
    data.update(changes)
    return data


def management_urls():
    m = measure()
    return [
        reverse("lists:types"),
        reverse("lists:type_create"),
        reverse("lists:type_edit", args=[ListType.objects.get(code="major_tax_violation").pk]),
        reverse("lists:measures"),
        reverse("lists:measure_create"),
        reverse("lists:measure_detail", args=[m.pk]),
        reverse("lists:measure_revise", args=[m.pk]),
        reverse("lists:matters"),
    ]


def test_urls():
    assert reverse("lists:types") == "/lists/types/"
    assert reverse("lists:measures") == "/lists/measures/"
    assert reverse("lists:matters") == "/lists/matters/"


def test_clerks_and_reviewers_get_403_and_anonymous_the_login_page(clerk_a, clerk_b, reviewer_a, client_for):
    urls = management_urls()
    for user in (clerk_a, clerk_b, reviewer_a):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
        m = measure()
        assert client.post(reverse("lists:measure_revise", args=[m.pk]), revision(m)).status_code == 403
        assert client.post(reverse("lists:matters"), {"code": "x", "name": "x", "sort_order": 1}).status_code == 403
    for url in urls:
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Measure.objects.filter(code="CJ-01").count() == 1
    assert not Matter.objects.filter(code="x").exists()


def test_center_and_admin_see_the_management_pages(center, admin_user, client_for):
    for user in (center, admin_user):
        client = client_for(user)
        for url in management_urls():
            assert client.get(url).status_code == 200, (user, url)


def test_measures_list_is_grouped_by_kind_with_list_types_and_matters(center, client_for):
    response = client_for(center).get(reverse("lists:measures"))
    html = response.content.decode()
    assert html.index("守信激励措施") < html.index("JL-01") < html.index("失信惩戒措施") < html.index("CJ-01")
    assert "限制参与招标投标" in html and "失信被执行人" in html and "招标投标" in html
    assert "乳山市发展和改革局" in html and "《中华人民共和国招标投标法实施条例》" in html


def test_editing_a_measure_creates_a_new_version(center, client_for):
    old = measure()
    new_matter = Matter.objects.get(code="procurement")
    client = client_for(center)
    response = client.post(
        reverse("lists:measure_revise", args=[old.pk]),
        revision(old, legal_basis="《中华人民共和国招标投标法》第五条（修订）", matters=[new_matter.pk]),
    )
    assert response.status_code == 302, response.context["form"].errors

    rows = list(Measure.objects.filter(code="CJ-01").order_by("version"))
    assert [r.version for r in rows] == [1, 2]
    first, second = rows
    assert first.effective_to == datetime.date(2024, 10, 31)
    assert first.legal_basis.startswith("《中华人民共和国招标投标法实施条例》")  # never overwritten
    assert list(first.matters.values_list("code", flat=True)) == ["bidding"]
    assert second.effective_from == datetime.date(2024, 11, 1) and second.effective_to is None
    assert second.legal_basis == "《中华人民共和国招标投标法》第五条（修订）"
    assert list(second.matters.values_list("code", flat=True)) == ["procurement"]
    assert set(second.list_types.all()) == set(first.list_types.all())
    assert response["Location"] == reverse("lists:measure_detail", args=[second.pk])

    in_force = Measure.objects.filter(code="CJ-01")
    assert in_force.in_force(on=datetime.date(2024, 10, 31)).get() == first
    assert in_force.in_force(on=datetime.date(2024, 11, 1)).get() == second
    assert in_force.in_force(on=TODAY).get() == first

    # The history shows both versions, from either version's page.
    for pk in (first.pk, second.pk):
        html = client.get(reverse("lists:measure_detail", args=[pk])).content.decode()
        assert "第 1 版" in html and "第 2 版" in html and "2024-10-31" in html and "（修订）" in html
    # The list shows the newest version, not yet in force.
    html = client.get(reverse("lists:measures")).content.decode()
    assert "第 2 版" in html and "待生效" in html


def test_a_revision_must_start_after_the_current_version(center, client_for):
    old = measure()
    client = client_for(center)
    response = client.post(reverse("lists:measure_revise", args=[old.pk]), revision(old, effective_from="2021-01-01"))
    assert response.status_code == 200 and "effective_from" in response.context["form"].errors
    assert Measure.objects.filter(code="CJ-01").count() == 1


def test_only_the_newest_version_is_revised(center, client_for):
    old = measure()
    client = client_for(center)
    client.post(reverse("lists:measure_revise", args=[old.pk]), revision(old))
    response = client.post(reverse("lists:measure_revise", args=[old.pk]), revision(old, effective_from="2024-12-01"))
    assert response.status_code == 302
    assert Measure.objects.filter(code="CJ-01").count() == 2
    second = Measure.objects.get(code="CJ-01", version=2)
    client.post(reverse("lists:measure_revise", args=[second.pk]), revision(second, effective_from="2024-12-01"))
    versions = list(Measure.objects.filter(code="CJ-01").order_by("version"))
    assert [
        (m.version, m.effective_from.isoformat(), m.effective_to and m.effective_to.isoformat()) for m in versions
    ] == [
        (1, "2021-01-01", "2024-10-31"),
        (2, "2024-11-01", "2024-11-30"),
        (3, "2024-12-01", None),
    ]


def test_a_new_measure_is_version_one(center, client_for):
    response = client_for(center).post(
        reverse("lists:measure_create"),
        {
            "code": "cj-11",
            "name": "限制乘坐高级别交通工具",
            "kind": "punishment",
            "content": "",
            "legal_basis": "《最高人民法院关于限制被执行人高消费及有关消费的若干规定》",
            "implementing_department": "人民法院",
            "list_types": [ListType.objects.get(code="dishonest_judgment_debtor").pk],
            "matters": [Matter.objects.get(code="bidding").pk],
            "effective_from": "2024-10-10",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    created = Measure.objects.get(code="CJ-11")
    assert created.version == 1 and created.effective_to is None
    duplicate = client_for(center).post(reverse("lists:measure_create"), {"code": "CJ-01", "name": "x"})
    assert "code" in duplicate.context["form"].errors


def test_retiring_sets_the_last_day_of_the_newest_version(center, client_for):
    old = measure("CJ-02")
    client = client_for(center)
    response = client.post(reverse("lists:measure_retire", args=[old.pk]), {"effective_to": "2024-12-31"})
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.effective_to == datetime.date(2024, 12, 31)
    assert not Measure.objects.filter(code="CJ-02").in_force(on=datetime.date(2025, 1, 1)).exists()
    assert Measure.objects.filter(code="CJ-02").count() == 1


def test_list_type_is_edited_with_recogniser_checkboxes(center, dept_a, dept_b, client_for):
    list_type = ListType.objects.get(code="major_tax_violation")
    client = client_for(center)
    html = client.get(reverse("lists:type_edit", args=[list_type.pk])).content.decode()
    assert 'type="checkbox"' in html and dept_a.name in html and dept_b.name in html
    response = client.post(
        reverse("lists:type_edit", args=[list_type.pk]),
        {
            "legal_basis": "《重大税收违法失信主体信息公布管理办法》（国家税务总局令第54号）第六条",
            "recognisers": [dept_b.pk],
            "recogniser_note": "税务部门",
            "validity_months": "24",
            "triggers_measures": "on",
            "is_public": "",
            "repairable": "on",
            "is_active": "on",
            "sort_order": "2",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    list_type.refresh_from_db()
    assert list(list_type.recognisers.all()) == [dept_b]
    assert list_type.validity_months == 24 and not list_type.is_public and list_type.triggers_measures
    assert list_type.name == "重大税收违法失信主体" and list_type.color == "black"  # not editable here
    html = client.get(reverse("lists:types")).content.decode()
    assert dept_b.name in html and "24 个月" in html


def test_matters_are_listed_and_added(center, client_for):
    client = client_for(center)
    assert "招标投标" in client.get(reverse("lists:matters")).content.decode()
    response = client.post(reverse("lists:matters"), {"code": "land_use", "name": "不动产登记", "sort_order": "20"})
    assert response.status_code == 302
    assert Matter.objects.get(code="land_use").name == "不动产登记"
    response = client.post(reverse("lists:matters"), {"code": "land_use", "name": "重复", "sort_order": "21"})
    assert response.status_code == 200 and "code" in response.context["form"].errors


def test_hostile_text_in_a_measure_is_escaped(center, client_for):
    old = measure()
    client = client_for(center)
    client.post(reverse("lists:measure_revise", args=[old.pk]), revision(old, name="<script>alert(1)</script>"))
    for url in (reverse("lists:measures"), reverse("lists:measure_detail", args=[old.pk])):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html

"""Public red, black and watch list pages: only entries in force on public list types, persons masked."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.lists.choices import EntryState
from apps.lists.models import ListEntry, ListType
from apps.records.choices import Status
from apps.records.models import Record
from apps.records.tests.factories import PERSON_ID, PERSON_ID_MASKED, ingest_rows

from .factories import list_entry_row

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 10, 10)
LIST_URL = "/lists/public/"
REP_ID = "370283198801011239"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def entry(dept, n, **overrides):
    ingest_rows(dept, [list_entry_row(dept, n, **overrides)], type_code="list_entry", today=TODAY)
    return ListEntry.objects.get(record__decision_number=overrides.get("MD_RDWSH", f"乳税稽罚〔2024〕{n}号"))


def person_entry(dept, n=50, **overrides):
    fields = dict(
        list_type="失信被执行人",
        MD_XDR_MC=f"王某{n}",
        MD_XDR_LB="自然人",
        MD_XDR_SHXYM=None,
        MD_FRDB=None,
        MD_XDR_ZJLX="身份证",
        MD_XDR_ZJHM=PERSON_ID,
        MD_RDYJ="《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
        MD_LRSY=f"有履行能力而拒不履行生效法律文书确定义务（被执行人身份证号{PERSON_ID}）",
    )
    return entry(dept, n, **(fields | overrides))


def listed(response):
    return [r.pk for r in response.context["rows"]]


def test_urls():
    assert reverse("lists_public:list") == LIST_URL
    assert reverse("lists_public:detail", args=[7]) == "/lists/public/7/"


def test_anonymous_visitors_see_the_three_lists(recogniser):
    black = entry(recogniser, 1)
    red = entry(recogniser, 2, list_type="A级纳税人")
    watch = entry(recogniser, 3, list_type="失信行为重点关注对象")
    client = Client()
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert set(listed(response)) == {black.pk, red.pk, watch.pk}
    html = response.content.decode()
    for text in (
        "乳山市测试建材有限公司1",
        black.record.subject_code,
        "重大税收违法失信主体",
        recogniser.name,
        "2024-09-27",
        "2027-09-27",
        "A级纳税人",
        "守信激励名单",
        "重点关注名单",
    ):
        assert text in html, text
    assert set(listed(client.get(LIST_URL, {"color": "black"}))) == {black.pk}
    assert set(listed(client.get(LIST_URL, {"color": "red"}))) == {red.pk}
    assert set(listed(client.get(LIST_URL, {"color": "watch"}))) == {watch.pk}
    assert set(listed(client.get(LIST_URL, {"type": "a_grade_taxpayer"}))) == {red.pk}
    assert set(listed(client.get(LIST_URL, {"name": "建材有限公司3"}))) == {watch.pk}
    assert set(listed(client.get(LIST_URL, {"code": red.record.subject_code}))) == {red.pk}
    assert set(listed(client.get(LIST_URL, {"code": red.record.subject_code.lower()}))) == {red.pk}


def test_only_entries_in_force_on_public_list_types_are_shown(recogniser, center):
    shown = entry(recogniser, 1)
    removed = entry(recogniser, 2)
    expired = entry(recogniser, 3, MD_YXQZ="2024-10-09")  # validity ended yesterday, not yet swept
    future = entry(recogniser, 4)
    repaired = entry(recogniser, 5)
    draft = entry(recogniser, 6)
    hidden_type = entry(recogniser, 7, list_type="A级纳税人")
    ListEntry.objects.filter(pk=removed.pk).update(state=EntryState.REMOVED, removed_on=TODAY)
    ListEntry.objects.filter(pk=future.pk).update(recognised_on=TODAY + datetime.timedelta(days=1))
    Record.objects.filter(pk=repaired.record_id).update(repaired=True)
    Record.objects.filter(pk=draft.record_id).update(status=Status.DRAFT)
    ListType.objects.filter(code="a_grade_taxpayer").update(is_public=False)

    client = Client()
    assert listed(client.get(LIST_URL)) == [shown.pk]
    assert client.get(reverse("lists_public:detail", args=[shown.pk])).status_code == 200
    for e in (removed, expired, future, repaired, draft, hidden_type):
        assert client.get(reverse("lists_public:detail", args=[e.pk])).status_code == 404, e
    assert client.get(reverse("lists_public:detail", args=[999999])).status_code == 404
    # The type filter offers public list types only.
    assert "A级纳税人" not in client.get(LIST_URL).content.decode()


def test_a_person_is_shown_masked_and_the_id_number_is_nowhere(recogniser):
    person = person_entry(recogniser)
    client = Client()
    for response in (
        client.get(LIST_URL),
        client.get(LIST_URL, {"color": "black"}),
        client.get(reverse("lists_public:detail", args=[person.pk])),
    ):
        html = response.content.decode()
        assert response.status_code == 200
        assert "王某50" in html and PERSON_ID_MASKED in html
        assert PERSON_ID not in html and PERSON_ID.lower() not in html
    # Searching the public list by the full number finds nothing.
    assert listed(client.get(LIST_URL, {"code": PERSON_ID})) == []
    assert listed(client.get(LIST_URL, {"code": PERSON_ID_MASKED})) == [person.pk]


def test_black_listed_organisation_names_its_legal_representative_never_an_id(recogniser):
    black = entry(recogniser, 1, MD_FR_ZJLX="身份证", MD_FR_ZJHM=REP_ID)
    red = entry(recogniser, 2, list_type="A级纳税人", MD_FRDB="李娜")
    client = Client()
    html = client.get(reverse("lists_public:detail", args=[black.pk])).content.decode()
    assert "法定代表人" in html and "王强" in html
    assert "《重大税收违法失信主体信息公布管理办法》第六条" in html and "虚开增值税专用发票" in html
    assert REP_ID not in html and "370283********1239" not in html
    html = client.get(reverse("lists_public:detail", args=[red.pk])).content.decode()
    assert "李娜" not in html
    # Nor does the list page name the legal representative.
    assert "王强" not in client.get(LIST_URL).content.decode()


def test_person_legal_representative_column_is_not_shown(recogniser):
    person = person_entry(recogniser)
    html = Client().get(reverse("lists_public:detail", args=[person.pk])).content.decode()
    assert "法定代表人" not in html


def test_pages_are_paginated(recogniser):
    ingest_rows(recogniser, [list_entry_row(recogniser, n) for n in range(1, 26)], type_code="list_entry", today=TODAY)
    client = Client()
    first = client.get(LIST_URL, {"color": "black"})
    assert len(first.context["rows"]) == 20 and first.context["is_paginated"]
    assert "color=black&amp;page=2" in first.content.decode()
    assert len(client.get(LIST_URL, {"color": "black", "page": 2}).context["rows"]) == 5


def test_bad_filter_values_do_not_crash(recogniser):
    entry(recogniser, 1)
    client = Client()
    for params in ({"color": "purple"}, {"type": "nope"}, {"page": "x"}, {"code": "<script>"}):
        response = client.get(LIST_URL, params)
        assert response.status_code in (200, 404), params
        assert "<script>" not in response.content.decode()

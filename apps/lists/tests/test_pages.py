"""Department pages of the lists: who sees which entry, removal, 约谈."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.lists.choices import EntryState
from apps.lists.models import ListEntry, ListType, WarningInterview
from apps.records.tests.factories import PERSON_ID, PERSON_ID_MASKED, ingest_rows

from .factories import list_entry_row

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 10, 10)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def entry(n=1, dept=None, **overrides):
    ingest_rows(dept, [list_entry_row(dept, n, **overrides)], type_code="list_entry", today=TODAY)
    return ListEntry.objects.get(record__decision_number=overrides.get("MD_RDWSH", f"乳税稽罚〔2024〕{n}号"))


@pytest.fixture
def black(recogniser):
    return entry(1, recogniser)


@pytest.fixture
def red(recogniser):
    return entry(
        2, recogniser, list_type="A级纳税人", MD_RDYJ="《纳税信用管理办法（试行）》", MD_LRSY="年度纳税信用评价为A级"
    )


@pytest.fixture
def watch(recogniser):
    return entry(3, recogniser, list_type="失信行为重点关注对象")


def detail_url(e):
    return reverse("lists:entry_detail", args=[e.pk])


def remove_url(e):
    return reverse("lists:entry_remove", args=[e.pk])


def interview_url(e):
    return reverse("lists:interview_create", args=[e.pk])


INTERVIEW = {"held_on": "2024-10-08", "participants": "法定代表人王强", "content": "告知失信后果，督促纠正。"}


def test_urls():
    assert reverse("lists:entries") == "/lists/"
    assert reverse("lists:entry_detail", args=[7]) == "/lists/7/"
    assert reverse("lists:entry_remove", args=[7]) == "/lists/7/remove/"
    assert reverse("lists:interview_create", args=[7]) == "/lists/7/interviews/new/"


# --- who sees what -----------------------------------------------------------------------


def test_anonymous_is_sent_to_login(black):
    client = Client()
    for url in (reverse("lists:entries"), detail_url(black)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(remove_url(black), {"reason": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    black.refresh_from_db()
    assert black.state == EntryState.LISTED


def test_subject_account_gets_403(black, subject_user, client_for):
    assert client_for(subject_user).get(reverse("lists:entries")).status_code == 403


def test_department_sees_its_own_entries_and_the_center_sees_all(black, watch, clerk_b, clerk_a, center, client_for):
    response = client_for(clerk_b).get(reverse("lists:entries"))
    assert response.status_code == 200
    assert {e.pk for e in response.context["entries"]} == {black.pk, watch.pk}
    html = response.content.decode()
    assert "乳山市测试建材有限公司1" in html
    assert reverse("records:create", args=["list_entry"]) in html  # 认定新名单

    response = client_for(clerk_a).get(reverse("lists:entries"))
    assert response.status_code == 200 and list(response.context["entries"]) == []
    assert "乳山市测试建材有限公司1" not in response.content.decode()
    # dept_a has no "list" power: no 认定新名单 link.
    assert reverse("records:create", args=["list_entry"]) not in response.content.decode()

    response = client_for(center).get(reverse("lists:entries"))
    assert {e.pk for e in response.context["entries"]} == {black.pk, watch.pk}


def test_another_departments_entry_is_404_even_by_id(black, clerk_a, client_for):
    client = client_for(clerk_a)
    assert client.get(detail_url(black)).status_code == 404
    assert client.post(remove_url(black), {"reason": "随便移出"}).status_code == 404
    assert client.post(interview_url(black), INTERVIEW).status_code == 404
    assert client.get(reverse("lists:entry_detail", args=[black.pk + 1000])).status_code == 404
    black.refresh_from_db()
    assert black.state == EntryState.LISTED and not black.interviews.exists()


def test_filters_by_color_type_and_state(black, red, watch, clerk_b, client_for):
    client = client_for(clerk_b)

    def pks(**params):
        response = client.get(reverse("lists:entries"), params)
        assert response.status_code == 200
        return {e.pk for e in response.context["entries"]}

    assert pks() == {black.pk, red.pk, watch.pk}
    assert pks(color="red") == {red.pk}
    assert pks(color="black") == {black.pk}
    assert pks(type="key_attention") == {watch.pk}
    assert pks(state="removed") == set()
    assert pks(q="乳税稽罚〔2024〕3号") == {watch.pk}
    assert pks(q=black.record.subject_code) == {black.pk}
    black.state = EntryState.REMOVED
    black.save()
    assert pks(state="removed") == {black.pk}
    assert pks(state="listed") == {red.pk, watch.pk}


def test_detail_shows_entry_record_history_and_interviews(black, clerk_b, client_for):
    client = client_for(clerk_b)
    client.post(interview_url(black), INTERVIEW)
    response = client.get(detail_url(black))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "重大税收违法失信主体",
        black.record.subject_code,
        "王强",  # legal representative
        "2024-09-27",  # recognition date
        "乳税稽罚〔2024〕1号",
        "《重大税收违法失信主体信息公布管理办法》第六条",
        "2027-09-27",  # validity
        "在列",
        "新增",  # the record's history
        "告知失信后果，督促纠正。",  # 约谈
        "移出名单",
    ):
        assert text in html, text


def test_staff_pages_show_a_person_only_masked(recogniser, clerk_b, center, client_for):
    ListType.objects.get(code="dishonest_judgment_debtor").recognisers.add(recogniser)
    person = entry(
        40,
        recogniser,
        list_type="失信被执行人",
        MD_XDR_MC="王某",
        MD_XDR_LB="自然人",
        MD_XDR_SHXYM=None,
        MD_FRDB=None,
        MD_XDR_ZJLX="身份证",
        MD_XDR_ZJHM=PERSON_ID,
    )
    for user in (clerk_b, center):
        client = client_for(user)
        for url in (reverse("lists:entries"), detail_url(person)):
            html = client.get(url).content.decode()
            assert "王某" in html and PERSON_ID_MASKED in html and PERSON_ID not in html, (user, url)
    # Staff may find the person by the full number (through the keyed hash), still shown masked.
    response = client_for(clerk_b).get(reverse("lists:entries"), {"q": PERSON_ID})
    assert [e.pk for e in response.context["entries"]] == [person.pk]
    assert PERSON_ID not in response.content.decode().replace(f'value="{PERSON_ID}"', "")


def test_center_filters_by_department_and_clerks_do_not_get_that_filter(black, center, clerk_b, client_for):
    response = client_for(center).get(reverse("lists:entries"), {"department": black.department.code})
    assert [e.pk for e in response.context["entries"]] == [black.pk]
    assert "department" in response.context["filter"].form.fields
    response = client_for(clerk_b).get(reverse("lists:entries"), {"department": "scjgj"})
    assert "department" not in response.context["filter"].form.fields
    assert [e.pk for e in response.context["entries"]] == [black.pk]  # ignored, own entries only


# --- removal ------------------------------------------------------------------------------


def test_removal_needs_a_reason(black, clerk_b, client_for):
    response = client_for(clerk_b).post(remove_url(black), {"reason": "   "})
    assert response.status_code == 200
    assert response.context["removal_form"].errors["reason"] == ["请填写移出原因。"]
    assert "请填写移出原因。" in response.content.decode()
    black.refresh_from_db()
    assert black.state == EntryState.LISTED


def test_removal_takes_the_entry_off_the_public_list_at_once(black, clerk_b, client_for):
    client = Client()
    assert client.get(reverse("lists_public:detail", args=[black.pk])).status_code == 200
    assert black.pk in [r.pk for r in client.get(reverse("lists_public:list")).context["rows"]]

    response = client_for(clerk_b).post(remove_url(black), {"reason": "已履行法定义务"})
    assert response.status_code == 302 and response["Location"] == detail_url(black)
    black.refresh_from_db()
    assert black.state == EntryState.REMOVED and black.removed_on == TODAY
    assert black.removal_reason == "已履行法定义务"
    assert black.record.events.filter(reason="移出名单：已履行法定义务").exists()

    assert client.get(reverse("lists_public:detail", args=[black.pk])).status_code == 404
    assert black.pk not in [r.pk for r in client.get(reverse("lists_public:list")).context["rows"]]
    assert not ListEntry.objects.active(on=TODAY).filter(pk=black.pk).exists()

    # The detail shows the removal in the history and offers no second removal.
    html = client_for(clerk_b).get(detail_url(black)).content.decode()
    assert "已履行法定义务" in html and f'action="{remove_url(black)}"' not in html
    # A second removal is refused without a crash.
    response = client_for(clerk_b).post(remove_url(black), {"reason": "再次移出"}, follow=True)
    assert "该条目已移出名单" in response.content.decode()


def test_center_may_remove_any_entry(black, center, client_for):
    response = client_for(center).post(remove_url(black), {"reason": "认定决定被撤销"})
    assert response.status_code == 302
    black.refresh_from_db()
    assert black.state == EntryState.REMOVED


def test_removal_is_post_only(black, clerk_b, client_for):
    response = client_for(clerk_b).get(remove_url(black))
    assert response.status_code == 302
    black.refresh_from_db()
    assert black.state == EntryState.LISTED


# --- 约谈 ---------------------------------------------------------------------------------


def test_interview_for_black_and_watch_entries_by_the_recognising_department(black, watch, clerk_b, client_for):
    client = client_for(clerk_b)
    for e in (black, watch):
        response = client.post(interview_url(e), INTERVIEW)
        assert response.status_code == 302, response.content.decode()
    interviews = WarningInterview.objects.order_by("pk")
    assert [i.entry_id for i in interviews] == [black.pk, watch.pk]
    first = interviews[0]
    assert first.held_on == datetime.date(2024, 10, 8)
    assert first.department == black.department and first.created_by == clerk_b


def test_no_interview_for_red_entries(red, clerk_b, client_for):
    client = client_for(clerk_b)
    assert "录入约谈记录" not in client.get(detail_url(red)).content.decode()
    assert client.post(interview_url(red), INTERVIEW).status_code == 403
    assert not WarningInterview.objects.exists()


def test_interview_by_another_department_is_refused(watch, clerk_a, reviewer_a, client_for):
    for user in (clerk_a, reviewer_a):
        assert client_for(user).post(interview_url(watch), INTERVIEW).status_code == 404
    assert not WarningInterview.objects.exists()


def test_interview_form_is_validated(black, clerk_b, client_for):
    client = client_for(clerk_b)
    for bad in ({"held_on": "2024-10-11"}, {"held_on": "2024-09-01"}, {"participants": ""}, {"content": " "}):
        response = client.post(interview_url(black), INTERVIEW | bad)
        assert response.status_code == 200, bad
        assert response.context["interview_form"].errors, bad
    assert not WarningInterview.objects.exists()


# --- hostile text ---------------------------------------------------------------------------


def test_hostile_text_is_escaped(recogniser, clerk_b, client_for):
    hostile = '<script>alert("x")</script>'
    e = entry(9, recogniser, MD_LRSY=f"虚开发票{hostile}", MD_FRDB="王<b>强</b>")
    client = client_for(clerk_b)
    client.post(interview_url(e), INTERVIEW | {"participants": f"法定代表人{hostile}", "content": hostile})
    for response in (
        client.get(detail_url(e)),
        client.get(reverse("lists:entries")),
        Client().get(reverse("lists_public:detail", args=[e.pk])),
        Client().get(reverse("lists_public:list")),
    ):
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in html and "<b>强</b>" not in html
    assert "&lt;script&gt;" in client.get(detail_url(e)).content.decode()
    client.post(remove_url(e), {"reason": hostile})
    html = client.get(detail_url(e)).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html

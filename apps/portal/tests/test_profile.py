"""The public credit profile: masked identity, lists, records in their windows, marks."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.records.models import Record
from apps.subjects.models import Subject
from apps.subjects.services import subject_create

from .conftest import PERSON_IDS, XINYUAN

pytestmark = pytest.mark.django_db


def profile_url(name):
    return reverse("portal:profile", args=[Subject.objects.get(name=name).pk])


def test_profile_shows_records_in_their_window_with_marks(county):
    response = Client().get(profile_url(XINYUAN))
    assert response.status_code == 200
    numbers = [r.decision_number for r in response.context["profile"].records]
    assert sorted(numbers) == [
        "乳市监罚〔2024〕1号",
        "乳市监罚〔2024〕2号",
        "乳市监罚〔2024〕3号",
        "乳市监许〔2024〕1号",
    ]
    html = response.content.decode()
    assert "乳市监罚〔2024〕4号" not in html  # decided 2022, window over
    assert "异议处理中" in html and "信用修复中" in html
    assert 'class="under-repair"' in html
    assert "91371083MA3X00010R" in html


def test_repair_takes_effect_on_the_profile_through_the_shared_selector(county):
    Record.objects.filter(decision_number="乳市监罚〔2024〕1号").update(repaired=True)
    profile = Client().get(profile_url(XINYUAN)).context["profile"]
    assert "乳市监罚〔2024〕1号" not in [r.decision_number for r in profile.records]


def test_window_end_removes_the_record_from_the_profile(county):
    with time_machine.travel(datetime.datetime(2025, 9, 28, 2, 0, tzinfo=datetime.UTC), tick=False):
        profile = Client().get(profile_url(XINYUAN)).context["profile"]
    assert [r.decision_number for r in profile.records] == ["乳市监许〔2024〕1号"]


def test_person_profile_shows_the_masked_id_only(county):
    response = Client().get(profile_url("王某甲"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "110105********002X" in html and PERSON_IDS[0] not in html
    assert "法定代表人" not in html


def test_person_with_nothing_public_has_no_profile(county):
    person = subject_create(kind="person", name="赵某丁", id_number="110105194912310038")
    assert Client().get(reverse("portal:profile", args=[person.pk])).status_code == 404
    assert Client().get(reverse("portal:profile", args=[999999])).status_code == 404


def test_profile_reads_a_fixed_number_of_queries(county, django_assert_max_num_queries):
    """Subject, records, list entries, grade, commitments, self-declared information; the policy data comes
    from the per-process copies."""
    url, person_url = profile_url(XINYUAN), profile_url("王某甲")
    Client().get(url)  # loads the policy copies
    with django_assert_max_num_queries(6):
        assert Client().get(url).status_code == 200
    with django_assert_max_num_queries(6):
        assert Client().get(person_url).status_code == 200


def test_a_person_with_only_a_public_list_entry_has_a_profile_until_it_ends(county):
    """A person is shown while something about them is public: a record in its window or an entry in force."""
    from apps.lists.models import ListEntry
    from apps.lists.tests.checks_support import ingest as ingest_entries
    from apps.lists.tests.checks_support import make_recogniser, person_entry

    dept = county["dept_b"]
    make_recogniser(dept)
    ingest_entries(dept, [person_entry(dept, 1, name="李某乙", id_number=PERSON_IDS[1])])
    person = Subject.objects.get(name="李某乙")
    Record.objects.filter(subject=person, record_type__code="penalty").update(repaired=True)
    response = Client().get(profile_url("李某乙"))
    assert response.status_code == 200
    assert [e.list_type for e in response.context["profile"].entries] == ["失信被执行人"]
    assert response.context["profile"].records == []
    ListEntry.objects.filter(subject=person).update(state="removed")
    assert Client().get(profile_url("李某乙")).status_code == 404


def test_an_edit_of_the_catalog_shows_on_the_next_profile(county):
    """Field specs are kept per process; a save by staff drops the copy at once."""
    from apps.catalog.models import FieldSpec

    def summaries():
        return [r.summary for r in Client().get(profile_url(XINYUAN)).context["profile"].records]

    assert any("罚款人民币5000元" in summary for summary in summaries())
    spec = FieldSpec.objects.get(record_type__code="penalty", code="CF_NR")
    spec.is_public = False
    spec.save()
    assert not any("罚款人民币5000元" in summary for summary in summaries())


def test_the_report_form_lists_a_new_penalty_department_at_once(county, powers):
    from apps.accounts.models import Department

    html = Client().get(profile_url(XINYUAN)).content.decode()
    assert "乳山市应急管理局" not in html
    dept = Department.objects.create(
        code="yjj", name="乳山市应急管理局", uscc="11371083MB3456789A", region_code="371083"
    )
    dept.powers.add(powers["penalty"])
    html = Client().get(profile_url(XINYUAN)).content.decode()
    assert "乳山市应急管理局" in html
    dept.is_active = False
    dept.save()
    assert "乳山市应急管理局" not in Client().get(profile_url(XINYUAN)).content.decode()


def test_guidance_and_columns_pages(county):
    assert "信用修复" in Client().get(reverse("portal:guidance")).content.decode()
    assert "双公示" in Client().get(reverse("portal:columns")).content.decode()


def test_row_links_are_the_reversed_urls_under_any_script_prefix():
    from django.urls import reverse, set_script_prefix

    from apps.portal.templatetags.portal_links import pk_url

    try:
        for prefix in ("/", "/credit/"):
            set_script_prefix(prefix)
            for pk in (1, 42, 918273645, 10**12):
                assert pk_url(pk, "records_public:detail") == reverse("records_public:detail", args=[pk])
                assert pk_url(str(pk), "lists_public:detail") == reverse("lists_public:detail", args=[pk])
    finally:
        set_script_prefix("/")


def test_profile_links_every_record_to_its_public_page(county):
    response = Client().get(profile_url(XINYUAN))
    html = response.content.decode()
    for row in response.context["profile"].records:
        assert f'href="{reverse("records_public:detail", args=[row.pk])}"' in html

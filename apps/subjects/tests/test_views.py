import pytest
from django.urls import reverse

from apps.audit.models import PersonalDataAccess
from apps.subjects.choices import OperatingStatus, SubjectKind
from apps.subjects.services import subject_create

from .factories import ID_NUMBER, ID_NUMBER_MASKED, broken_uscc, make_org, make_person, uscc

LIST = "/subjects/"


@pytest.fixture
def registry(db):
    return {
        "org": make_org("乳山市银滩旅游开发有限公司", uscc(1), registration_number="371083200012345"),
        "shop": subject_create(kind=SubjectKind.INDIVIDUAL_BUSINESS, name="乳山市老王水产店", uscc=uscc(2)),
        "closed": make_org("乳山市旧船厂", uscc(3), status=OperatingStatus.CANCELLED),
        "bad": make_org("乳山市错码公司", broken_uscc(4), strict=False),
        "person": make_person("张三", ID_NUMBER),
    }


def _reveal_url(subject):
    return reverse("subjects:reveal_id", args=[subject.pk])


# --- who may see the staff pages -------------------------------------------------


def test_anonymous_is_sent_to_login(client, registry):
    for url in (LIST, f"/subjects/{registry['org'].pk}/", "/subjects/code-quality/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_subject_account_is_refused(client_for, subject_user, registry):
    client = client_for(subject_user)
    assert client.get(LIST).status_code == 403
    assert client.get(f"/subjects/{registry['org'].pk}/").status_code == 403


@pytest.mark.parametrize("who", ["clerk_a", "reviewer_a", "center", "admin_user"])
def test_staff_see_the_list(request, client_for, registry, who):
    response = client_for(request.getfixturevalue(who)).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "乳山市银滩旅游开发有限公司" in page
    assert ID_NUMBER_MASKED in page
    assert ID_NUMBER not in page


# --- search and filters -----------------------------------------------------------


def _names(response):
    return sorted(s.name for s in response.context["subjects"])


def test_search_by_name(client_for, clerk_a, registry):
    assert _names(client_for(clerk_a).get(LIST, {"q": "银滩"})) == ["乳山市银滩旅游开发有限公司"]


def test_search_by_uscc_lower_case_and_prefix(client_for, clerk_a, registry):
    client = client_for(clerk_a)
    assert _names(client.get(LIST, {"q": uscc(2).lower()})) == ["乳山市老王水产店"]
    assert len(_names(client.get(LIST, {"q": uscc(1)[:8]}))) >= 3


def test_search_by_legacy_code(client_for, clerk_a, registry):
    assert _names(client_for(clerk_a).get(LIST, {"q": "371083200012345"})) == ["乳山市银滩旅游开发有限公司"]


def test_search_by_id_number_finds_the_person_and_shows_it_masked(client_for, clerk_a, registry):
    response = client_for(clerk_a).get(LIST, {"q": ID_NUMBER.lower()})
    assert _names(response) == ["张三"]
    page = response.content.decode()
    assert ID_NUMBER not in page
    assert ID_NUMBER.lower() not in page
    assert ID_NUMBER_MASKED in page


def test_filters(client_for, clerk_a, registry):
    client = client_for(clerk_a)
    assert _names(client.get(LIST, {"kind": SubjectKind.PERSON})) == ["张三"]
    assert _names(client.get(LIST, {"status": OperatingStatus.CANCELLED})) == ["乳山市旧船厂"]
    assert _names(client.get(LIST, {"code_valid": "no"})) == ["乳山市错码公司"]
    assert "乳山市错码公司" not in _names(client.get(LIST, {"code_valid": "yes"}))


def test_pagination_keeps_the_filters(client_for, clerk_a, db):
    for n in range(55):
        make_org(f"乳山市分页测试{n:02d}公司", uscc(100 + n))
    response = client_for(clerk_a).get(LIST, {"q": "分页测试", "kind": SubjectKind.LEGAL})
    assert len(response.context["subjects"]) == 50
    assert "q=%E5%88%86%E9%A1%B5%E6%B5%8B%E8%AF%95&amp;kind=legal&amp;page=2" in response.content.decode()


# --- detail and the logged reveal ------------------------------------------------------


def test_detail_shows_the_id_number_masked(client_for, clerk_a, registry):
    response = client_for(clerk_a).get(f"/subjects/{registry['person'].pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert ID_NUMBER_MASKED in page
    assert ID_NUMBER not in page
    assert _reveal_url(registry["person"]) not in page  # clerks are not offered the reveal


def test_detail_of_an_organisation(client_for, clerk_a, registry):
    page = client_for(clerk_a).get(f"/subjects/{registry['org'].pk}/").content.decode()
    assert uscc(1) in page
    assert "371083200012345" in page
    assert "乳山市" in page  # region name


def test_center_is_offered_the_reveal(client_for, center, registry):
    page = client_for(center).get(f"/subjects/{registry['person'].pk}/").content.decode()
    assert _reveal_url(registry["person"]) in page
    assert ID_NUMBER not in page


def test_clerk_cannot_reveal(client_for, clerk_a, registry):
    response = client_for(clerk_a).post(_reveal_url(registry["person"]), {"reason": "核实当事人身份"})
    assert response.status_code == 403
    assert ID_NUMBER not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_anonymous_cannot_reveal(client, registry):
    response = client.post(_reveal_url(registry["person"]), {"reason": "核实当事人身份"})
    assert response.status_code == 302
    assert not PersonalDataAccess.objects.exists()


def test_center_reveals_with_a_reason_and_it_is_logged(client_for, center, registry):
    person = registry["person"]
    response = client_for(center).post(
        _reveal_url(person), {"reason": "核实信用修复申请人身份"}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    assert ID_NUMBER in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.subject, access.field, access.reason, access.remote_addr) == (
        center,
        person,
        "id_number",
        "核实信用修复申请人身份",
        "10.1.2.3",
    )


def test_reveal_needs_a_reason(client_for, center, registry):
    response = client_for(center).post(_reveal_url(registry["person"]), {"reason": "  "})
    assert response.status_code == 400
    assert ID_NUMBER not in response.content.decode()
    assert "该字段是必填项" in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_reveal_is_post_only(client_for, center, registry):
    assert client_for(center).get(_reveal_url(registry["person"])).status_code == 405


def test_reveal_of_a_subject_without_id_number(client_for, admin_user, registry):
    response = client_for(admin_user).post(_reveal_url(registry["org"]), {"reason": "核实当事人身份"})
    assert response.status_code == 404
    assert not PersonalDataAccess.objects.exists()


# --- code-quality page ---------------------------------------------------------------------


def test_code_quality_page_is_for_the_center(client_for, clerk_a, center, registry):
    assert client_for(clerk_a).get("/subjects/code-quality/").status_code == 403
    make_org("乳山市重码甲公司", uscc(9))
    make_org("乳山市重码乙公司", uscc(9))
    response = client_for(center).get("/subjects/code-quality/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "乳山市重码甲公司" in page and "乳山市重码乙公司" in page
    assert "乳山市错码公司" in page and "第18位校验码不符" in page
    assert f"/subjects/{registry['bad'].pk}/" in page
    summary = response.context["summary"]
    assert (summary.subjects, summary.affected_subjects, summary.duplicate_codes, summary.erroneous_codes) == (
        7,
        3,
        1,
        1,
    )
    assert summary.rate_percent in page

import pytest
from django.urls import reverse

from apps.subjects.models import Subject

from .factories import ID_NUMBER, ID_NUMBER_MASKED, broken_uscc, id_number, make_org, make_person, uscc


@pytest.fixture
def admin_client_(client_for, admin_user):
    return client_for(admin_user)


def test_changelist_search_by_name_and_uscc(admin_client_, db):
    make_org("乳山市银滩旅游开发有限公司", uscc(1))
    make_person("张三")
    url = reverse("admin:subjects_subject_changelist")
    page = admin_client_.get(url).content.decode()
    assert ID_NUMBER_MASKED in page and ID_NUMBER not in page
    assert "乳山市银滩旅游开发有限公司" in admin_client_.get(url, {"q": "银滩"}).content.decode()
    assert "乳山市银滩旅游开发有限公司" in admin_client_.get(url, {"q": uscc(1)}).content.decode()


def test_change_page_shows_only_the_masked_number(admin_client_, db):
    person = make_person("张三")
    page = admin_client_.get(reverse("admin:subjects_subject_change", args=[person.pk])).content.decode()
    assert ID_NUMBER_MASKED in page
    assert ID_NUMBER not in page
    assert person.id_number_hash not in page
    assert person.id_number_encrypted not in page


def _form(**values):
    data = {
        "kind": "legal",
        "name": "",
        "status": "operating",
        "legal_representative": "",
        "region_code": "",
        "uscc": "",
        "registration_number": "",
        "organization_code": "",
        "tax_number": "",
        "institution_number": "",
        "social_org_number": "",
        "id_number": "",
    }
    return data | values


def test_admin_add_person_goes_through_the_service(admin_client_, db):
    number = id_number("37108319850203456")
    response = admin_client_.post(
        reverse("admin:subjects_subject_add"), _form(kind="person", name="李四", id_number=number)
    )
    assert response.status_code == 302
    person = Subject.objects.get(name="李四")
    assert person.id_number_masked == number[:6] + "********" + number[14:]
    assert person.id_number_hash and person.id_number_encrypted
    assert person.region_code == "371083"


def test_admin_refuses_a_bad_uscc(admin_client_, db):
    response = admin_client_.post(
        reverse("admin:subjects_subject_add"), _form(name="乳山市错码公司", uscc=broken_uscc(2))
    )
    assert response.status_code == 200
    assert "第18位校验码不符" in response.content.decode()
    assert not Subject.objects.exists()


def test_admin_normalises_the_uscc(admin_client_, db):
    response = admin_client_.post(
        reverse("admin:subjects_subject_add"), _form(name="乳山市小写公司", uscc=uscc(3).lower())
    )
    assert response.status_code == 302
    assert Subject.objects.get().uscc == uscc(3)


def test_admin_id_number_only_for_persons(admin_client_, db):
    response = admin_client_.post(
        reverse("admin:subjects_subject_add"), _form(name="乳山市某公司", uscc=uscc(4), id_number=ID_NUMBER)
    )
    assert response.status_code == 200
    assert "只有自然人登记身份证号码" in response.content.decode()
    assert ID_NUMBER not in response.content.decode()  # the password-style input does not echo it

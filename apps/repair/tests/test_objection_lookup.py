"""A public objector follows their case by number and code (issue 16 item 9)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.repair.models import Objection
from apps.repair.services.objections import objection_lookup, objection_submit

from .conftest import travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


def test_the_code_is_shown_once_and_finds_the_case(penalty):
    response = Client().post(
        reverse("repair:objection_create", args=[penalty.pk]),
        {
            "contact_name": "李明",
            "contact_phone": "13900000000",
            "contact_email": "liming@example.com",
            "relation": "该企业员工",
            "grounds": "违法行为类型填写有误。",
        },
    )
    html = response.content.decode()
    objection = Objection.objects.get()
    code = re.search(r"查询码：<strong>([2-9A-Z]{8})</strong>", html).group(1)
    assert objection.lookup_code_hash and code not in objection.lookup_code_hash  # only its hash is kept

    page = Client().get(reverse("repair:objection_lookup"), {"number": objection.number, "code": code.lower()})
    text = page.content.decode()
    assert objection.number in text and objection.get_state_display() in text
    assert "李明" not in text and "13900000000" not in text  # the lookup shows the case, not the contact


def test_a_wrong_code_or_number_gets_the_same_answer(penalty):
    objection = objection_submit(
        record=penalty,
        contact_name="李明",
        contact_phone="13900000000",
        contact_email="liming@example.com",
        relation="该企业员工",
        grounds="有误。",
    )
    assert objection_lookup(number=objection.number, code=objection.lookup_code) == objection
    assert objection_lookup(number=objection.number, code="AAAAAAAA") is None
    assert objection_lookup(number="YY2025999999", code=objection.lookup_code) is None
    client = Client()
    wrong_code = client.get(reverse("repair:objection_lookup"), {"number": objection.number, "code": "AAAAAAAA"})
    no_case = client.get(reverse("repair:objection_lookup"), {"number": "YY2025999999", "code": "AAAAAAAA"})
    assert wrong_code.status_code == no_case.status_code == 200
    strip = lambda r: r.content.decode().replace(objection.number, "N").replace("YY2025999999", "N")  # noqa: E731
    assert strip(wrong_code) == strip(no_case)


def test_account_holders_cases_have_no_code(penalty, owner):
    objection = objection_submit(
        record=penalty, filer=owner, contact_name="王", contact_phone="13900000001", relation="本企业", grounds="有误。"
    )
    assert objection.lookup_code_hash == ""
    assert objection_lookup(number=objection.number, code="") is None

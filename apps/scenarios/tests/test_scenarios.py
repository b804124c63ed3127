from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from apps.accounts.models import ApiKey
from apps.evaluation.engine import evaluate_all
from apps.evaluation.tests.factories import make_record, make_subject
from apps.scenarios.models import Bank, FinancingNeed, Scenario, ScenarioUse
from apps.scenarios.services import (
    financing_need_create,
    loan_authorisation_grant,
    loan_figures,
    scenarios_for_subject,
)

pytestmark = pytest.mark.django_db


def test_fixture_catalog_has_thirty_scenarios_with_owners():
    assert Scenario.objects.count() >= 30
    assert not Scenario.objects.filter(owner="").exists()
    assert Scenario.objects.values("category").distinct().count() >= 9


def test_rule_with_unknown_field_is_rejected_on_save():
    s = Scenario(
        code="bad",
        name="坏规则",
        category="other",
        owner="某单位",
        benefits="…",
        rule={"all": [{"field": "shoe_size", "op": "eq", "value": 42}, {"field": "grade", "op": "gte", "value": 1}]},
    )
    with pytest.raises(ValidationError) as exc:
        s.save()
    text = str(exc.value)
    assert "shoe_size" in text and "不支持运算" in text
    assert not Scenario.objects.filter(code="bad").exists()


@pytest.fixture
def graded(dept_a, subject_user):
    good = make_subject("守信企业")
    for _ in range(3):
        make_record(good, dept_a, "reward", in_publicity=False)
    bad = make_subject("失信企业")
    make_record(bad, dept_a, "penalty", "serious")
    evaluate_all()
    subject_user.subject = good
    subject_user.save()
    return good, bad


def test_subject_sees_what_it_qualifies_for_and_exact_reasons(graded, subject_user):
    good, bad = graded
    result = {r["scenario"].code: r for r in scenarios_for_subject(subject=bad)}
    loan = result["xyd_credit_loan"]
    assert not loan["eligible"]
    assert "信用等级为C，要求属于A、B。" in loan["reasons"]
    assert "公示中的严重失信记录数为1，要求等于0。" in loan["reasons"]
    mine = {r["scenario"].code: r for r in scenarios_for_subject(subject=good)}
    assert mine["xyd_credit_loan"]["eligible"] and mine["xyd_credit_loan"]["reasons"] == []
    assert not mine["xyr_library"]["eligible"]  # for persons only
    assert "主体类别为法人及非法人组织" in mine["xyr_library"]["reasons"][0]


def test_my_scenarios_page(graded, subject_user, client_for):
    response = client_for(subject_user).get("/scenarios/my/")
    assert response.status_code == 200
    assert "信易贷·纯信用贷款" in response.content.decode()


def test_partner_api_check_is_logged_and_counted(graded):
    good, bad = graded
    key, raw = ApiKey.issue(name="乳山市图书馆", scopes=["scenario-check"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    r = client.post("/api/v1/scenarios/xyd_credit_loan/check/", {"code": bad.uscc}, format="json")
    assert r.status_code == 200 and r.json()["eligible"] is False and r.json()["reasons"]
    r = client.post("/api/v1/scenarios/xyd_credit_loan/check/", {"code": good.uscc}, format="json")
    assert r.json()["eligible"] is True
    assert ScenarioUse.objects.filter(channel="api", api_key=key).count() == 2
    # a key without the scope is refused
    _, other = ApiKey.issue(name="无权限", scopes=["credit-check"])
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {other}")
    assert client.post("/api/v1/scenarios/xyd_credit_loan/check/", {"code": good.uscc}).status_code == 403


def _partner_client():
    key, raw = ApiKey.issue(name="乳山市图书馆", scopes=["scenario-check"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return key, client


def test_partner_check_of_a_person_does_not_confirm_a_registered_id_number(db):
    """A registered person with nothing on file and an ID number nobody registered get the same answer."""
    from stdnum.cn import ric

    from apps.subjects.choices import SubjectKind
    from apps.subjects.services import subject_create

    registered_id, unknown_id = (f + ric.calc_check_digit(f + "0") for f in ("37108319900101123", "37108319900102456"))
    subject_create(name="王某", kind=SubjectKind.PERSON, id_number=registered_id)
    key, client = _partner_client()
    url = "/api/v1/scenarios/xyd_credit_loan/check/"
    registered = client.post(url, {"code": registered_id}, format="json")
    unknown = client.post(url, {"code": unknown_id}, format="json")
    assert registered.status_code == unknown.status_code == 200
    assert registered.json() == unknown.json() and registered.json()["subject"] is None
    assert "王某" not in registered.content.decode()
    # The use log keeps masked numbers only.
    assert set(ScenarioUse.objects.filter(api_key=key).values_list("query", flat=True)) == {
        registered_id[:6] + "********" + registered_id[-4:],
        unknown_id[:6] + "********" + unknown_id[-4:],
    }


def test_partner_checks_are_rate_limited_per_key(graded, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SCENARIO_CHECK_RATE = "2/m"
    good, _ = graded
    _, client = _partner_client()
    url = "/api/v1/scenarios/xyd_credit_loan/check/"
    statuses = [client.post(url, {"code": good.uscc}, format="json").status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    cache.clear()


@pytest.fixture
def bank():
    key, raw = ApiKey.issue(name="乳山农商银行", scopes=["loan-bank"])
    return Bank.objects.create(name="乳山市农村商业银行", api_key=key), raw


def test_bank_is_refused_without_the_enterprises_authorisation(graded, subject_user, bank):
    good, _ = graded
    bank_obj, raw = bank
    need = financing_need_create(user=subject_user, amount=Decimal("100"), term_months=12, purpose="购置设备")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert client.get("/api/v1/loans/demand/").json() == []
    r = client.get(f"/api/v1/loans/subjects/{good.uscc}/summary/")
    assert r.status_code == 403 and "未授权" in r.json()["detail"]
    r = client.post(f"/api/v1/loans/needs/{need.pk}/offer/", {"status": "offered"}, format="json")
    assert r.status_code == 403

    loan_authorisation_grant(user=subject_user, bank=bank_obj)
    demand = client.get("/api/v1/loans/demand/").json()
    assert [d["id"] for d in demand] == [need.pk]
    assert demand[0]["credit_summary"]["grade"] == "A"
    r = client.post(f"/api/v1/loans/needs/{need.pk}/offer/", {"status": "lent", "granted_amount": "100"}, format="json")
    assert r.status_code == 400 and "放款金额" in r.json()["errors"][0]
    r = client.post(
        f"/api/v1/loans/needs/{need.pk}/offer/",
        {"status": "lent", "granted_amount": "100", "lent_amount": "80"},
        format="json",
    )
    assert r.status_code == 200
    assert FinancingNeed.objects.get(pk=need.pk).status == "matched"
    figures = loan_figures()
    assert figures["registered"] == 1 and figures["granted"] == Decimal("100") and figures["lent"] == Decimal("80")


def test_bank_summary_answers_alike_for_unknown_codes_persons_and_unauthorised_enterprises(graded, bank):
    """No oracle on codes: a registered person's full ID number, an unregistered one, an unknown USCC and an
    enterprise that has not authorised the bank all get the same answer."""
    from stdnum.cn import ric

    from apps.subjects.codes import build_uscc
    from apps.subjects.services import subject_create

    good, _ = graded
    registered = "37108319900101451" + ric.calc_check_digit("371083199001014510")
    unregistered = "37108319900101452" + ric.calc_check_digit("371083199001014520")
    subject_create(kind="person", name="王小明", id_number=registered)
    _, raw = bank
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    codes = [registered, unregistered, build_uscc("91", "371083", "MA3Y9999"), good.uscc]
    answers = [client.get(f"/api/v1/loans/subjects/{code}/summary/") for code in codes]
    assert {(r.status_code, r.content) for r in answers} == {(answers[0].status_code, answers[0].content)}
    assert answers[0].status_code == 403 and "未授权" in answers[0].json()["detail"]


def test_figures_page(center, client_for):
    assert client_for(center).get("/scenarios/figures/").status_code == 200
    assert loan_figures()["target"] == 0.03  # a policy row, not a constant
    assert "信易贷·纯信用贷款" in client_for(center).get("/scenarios/").content.decode()


def test_unknown_person_facts_name_every_fact_a_rule_may_read():
    """The stand-in for an unregistered person must not drift from subject_facts (a rule would miss a fact)."""
    from apps.scenarios.services import UNKNOWN_PERSON_FACTS, subject_facts

    person = make_subject("某自然人", kind="person")
    assert set(UNKNOWN_PERSON_FACTS) == set(subject_facts(person))
    assert {k: v for k, v in subject_facts(person).items() if k != "grade"} == {
        k: v for k, v in UNKNOWN_PERSON_FACTS.items() if k != "grade"
    }

import pytest

from .factories import ID_NUMBER, ID_NUMBER_MASKED, broken_uscc, id_number, suspect_uscc, uscc

URL = "/api/v1/subjects/validate-code/"
REAL_CODE = "91350100M000100Y43"


@pytest.fixture
def api(client):
    return client


def test_valid_code(api):
    response = api.get(URL, {"code": REAL_CODE})
    assert response.status_code == 200
    assert response.json() == {"code": REAL_CODE, "valid": True, "errors": [], "warnings": []}


def test_invalid_code_says_why_in_chinese(api):
    response = api.get(URL, {"code": broken_uscc(1)})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    assert body["errors"] == ["第18位校验码不符，代码可能录入有误"]


def test_forbidden_letter(api):
    body = api.get(URL, {"code": REAL_CODE.replace("M000", "MO00")}).json()
    assert body["valid"] is False
    assert "“O”" in body["errors"][0]


def test_full_width_and_lower_case_are_normalised(api):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in REAL_CODE.lower())
    body = api.get(URL, {"code": full_width}).json()
    assert body == {"code": REAL_CODE, "valid": True, "errors": [], "warnings": []}


def test_letter_authorities_accepted(api):
    code = uscc(7, prefix="N2")
    assert api.get(URL, {"code": code}).json()["valid"] is True


def test_suspect_code_is_valid_with_warning(api):
    body = api.get(URL, {"code": suspect_uscc(3)}).json()
    assert body["valid"] is True
    assert body["warnings"] == ["第9–17位组织机构代码的校验码（第17位）不符（疑似错码）"]


@pytest.mark.parametrize("params", [{}, {"code": ""}, {"code": "   "}])
def test_missing_code_is_400(api, params):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert response.json() == {"code": ["请提供待校验的代码（参数 code）。"]}


def test_unknown_type_is_400(api):
    response = api.get(URL, {"code": REAL_CODE, "type": "passport"})
    assert response.status_code == 400
    assert "无效" in response.json()["type"][0]


def test_public_even_with_a_bad_api_key(api):
    # No authentication at all: a stale key must not turn a public check into a 401.
    response = api.get(URL, {"code": REAL_CODE}, HTTP_AUTHORIZATION="Api-Key nonsense")
    assert response.status_code == 200


def test_id_card_answer_is_masked(api):
    response = api.get(URL, {"code": ID_NUMBER.lower(), "type": "id_card"})
    assert response.status_code == 200
    assert response.json() == {"code": ID_NUMBER_MASKED, "valid": True, "errors": [], "warnings": []}
    assert ID_NUMBER not in response.content.decode()


def test_invalid_id_card_is_masked_and_does_not_quote_digits(api):
    number = id_number("37108319901301123")  # month 13
    response = api.get(URL, {"code": number, "type": "id_card"})
    body = response.json()
    assert body["valid"] is False
    assert body["code"] == "371083********" + number[14:]
    assert "19901301" not in response.content.decode()
    assert number not in response.content.decode()


def test_id_number_sent_as_uscc_is_masked(api):
    response = api.get(URL, {"code": ID_NUMBER})
    body = response.json()
    assert body["valid"] is False
    assert body["code"] == ID_NUMBER_MASKED
    assert "type=id_card" in body["errors"][0]
    assert ID_NUMBER not in response.content.decode()


def test_schema_documents_the_endpoint(api):
    response = api.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/subjects/validate-code/"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["code"]["required"] is True
    assert set(params["type"]["schema"]["enum"]) == {"uscc", "id_card"}
    assert operation["security"] == [{}]  # no credentials
    result = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert result["$ref"].endswith("/CodeCheckResult")

"""Hostile query strings on every page and endpoint: a 400 or an ordinary answer, never a 500.

Every route of the permission matrix is called by an anonymous visitor, a
clerk and credit-center staff with every parameter name the portal reads set
to each hostile value at once: NUL and other control characters, invalid
UTF-8, numbers past any integer type, nonsense dates, huge text. The API
operations get the same treatment from schemathesis in ``test_api_fuzz``;
this covers the HTML pages and the query strings schemathesis does not vary.
"""

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from credit_portal.query_guard import query_problem
from tests.test_permission_matrix import all_routes, clients, frozen, route_url, world  # noqa: F401 — fixtures

# Every GET parameter name read somewhere (request.GET, filtersets, forms, DRF pagination).
NAMES = [
    "q",
    "page",
    "limit",
    "offset",
    "page_size",
    "cursor",
    "year",
    "month",
    "start",
    "days",
    "type",
    "department",
    "status",
    "state",
    "code",
    "flag",
    "model",
    "color",
    "category",
    "name",
    "number",
    "kind",
    "purpose",
    "decided_from",
    "decided_to",
    "timely",
    "ordering",
    "format",
    "period",
    "date",
    "list_type",
    "subject",
]
# Values that pass the query-string guard and reach the views (the guard's own refusals are tested below).
HOSTILE = [
    "99999999999",
    "-1",
    "0",
    "1e309",
    "NaN",
    "２０２６",
    "2026-99-99",
    "99999-01-01",
    "乳" * 2000,
    "'\"<script>%_\\",
    "[]",
    "371083199001011235",
    "9" * 30,
    "-" + "9" * 25,
]
ROLES = ("anon", "clerk_a", "center")
# Routes whose GET is not a page: the logout (POST only), the schema and API docs (no parameters read).
SKIP = {"api:schema", "api:swagger-ui", "api:redoc", "accounts:logout"}


def test_no_route_answers_500_to_a_hostile_parameter(world, clients):  # noqa: F811
    """Request i sets parameter j to value (i + j) mod n: across the n requests every name meets every value."""
    routes = [r for r in all_routes() if not r.startswith("admin:") and r not in SKIP]
    failures = []
    for i in range(len(HOSTILE)):
        query = urlencode({name: HOSTILE[(i + j) % len(HOSTILE)] for j, name in enumerate(NAMES)})
        for name in routes:
            url = route_url(name, world)
            url += ("&" if "?" in url else "?") + query
            for role in ROLES:
                status = clients[role].get(url).status_code
                if status >= 500:
                    failures.append(f"{name} as {role} (request {i}): {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "raw",
    ["q=%00", "q=a%01b", "q=%FF%FE", "q=%C3", "limit=" + "9" * 30, "offset=-" + "9" * 30, "q=" + "a" * 5000, "%00=1"],
)
def test_search_and_api_refuse_bad_bytes_with_a_chinese_400(client_for, center, raw):
    client = client_for(center)
    for path in (reverse("portal:search"), "/records/", "/commitments/public/", "/api/v1/records/public/"):
        response = client.get(f"{path}?{raw}")
        assert response.status_code == 400, (path, raw, response.status_code)
        body = response.json()["detail"] if path.startswith("/api/") else response.content.decode()
        assert "查询参数" in body


def test_ordinary_text_passes():
    assert query_problem(urlencode({"q": "乳山市\t鑫源 水产", "code": "371083199001011235", "page": "2"})) is None
    assert query_problem(urlencode({"q": "20261207000000012345"})) is None  # a commitment code
    assert query_problem("q=" + "%E4%B9%B3" * 10) is None

"""Rate limits on the public endpoints; no unmasked ID number and no expired penalty anywhere public."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.records.models import Record
from apps.reports.models import CreditReport
from apps.reports.pdf import report_pdf
from apps.reports.services import report_issue
from apps.reports.tests.test_reports import pdf_text
from apps.subjects.models import Subject

from .conftest import PERSON_IDS, XINYUAN

pytestmark = pytest.mark.django_db
EXPIRED = "乳市监罚〔2024〕4号"


# --- rate limits ---------------------------------------------------------------------------


def test_search_over_its_limit_gets_the_friendly_429_page(county, settings):
    settings.PORTAL_RATE_SEARCH = "3/m"
    client = Client()
    for _ in range(3):
        assert client.get(reverse("portal:search"), {"q": "鑫源"}).status_code == 200
    response = client.get(reverse("portal:search"), {"q": "鑫源"})
    assert response.status_code == 429
    assert "访问过于频繁" in response.content.decode() and response["Retry-After"]
    # Counted per client address: another address is not affected.
    assert Client(REMOTE_ADDR="10.0.0.9").get(reverse("portal:search"), {"q": "鑫源"}).status_code == 200


def test_profile_and_report_issuance_have_their_own_limits(county, settings):
    settings.PORTAL_RATE_PROFILE = "2/m"
    settings.PORTAL_RATE_REPORT = "1/h"
    client = Client()
    url = reverse("portal:profile", args=[Subject.objects.get(name=XINYUAN).pk])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    issue = reverse("reports:issue", args=[Subject.objects.get(name=XINYUAN).pk])
    assert client.post(issue, {"kind": "standard", "purpose": "bidding"}).status_code == 302
    assert client.post(issue, {"kind": "standard", "purpose": "bidding"}).status_code == 429
    assert CreditReport.objects.count() == 1


def test_verify_api_limit_answers_json_429(county, settings):
    settings.PORTAL_RATE_VERIFY = "1/m"
    client = Client()
    client.get("/api/v1/reports/verify/", {"number": "X", "code": "Y"})
    response = client.get("/api/v1/reports/verify/", {"number": "X", "code": "Y"})
    assert response.status_code == 429 and "访问过于频繁" in response.json()["detail"]


def test_a_request_without_a_client_address_is_counted_not_crashed(county, rf, settings):
    from credit_portal.ratelimits import client_address, over_limit

    settings.PORTAL_RATE_VERIFY = "1/m"
    request = rf.get("/api/v1/reports/verify/")
    del request.META["REMOTE_ADDR"]
    assert client_address("g", request) == "unknown"
    assert [over_limit(request, "PORTAL_RATE_VERIFY") for _ in range(2)] == [False, True]
    settings.TRUSTED_PROXY_COUNT = 1
    request.META["HTTP_X_FORWARDED_FOR"] = "203.0.113.7, 10.0.0.1"
    assert client_address("g", request) == "10.0.0.1"  # what the one trusted proxy saw


def test_limits_can_be_switched_off(county, settings):
    settings.PORTAL_RATE_SEARCH = "1/m"
    settings.RATELIMIT_ENABLE = False
    client = Client()
    assert {client.get(reverse("portal:search"), {"q": "鑫源"}).status_code for _ in range(3)} == {200}


# --- a penalty past its publicity window ------------------------------------------------------


def test_penalty_past_its_window_is_absent_from_profile_report_and_search(county):
    subject = Subject.objects.get(name=XINYUAN)
    assert Record.objects.filter(decision_number=EXPIRED, subject=subject).exists()
    client = Client()
    search = client.get(reverse("portal:search"), {"q": "鑫源水产"})
    hit = search.context["outcome"].hits[0]
    assert hit.name == XINYUAN and hit.penalties == 3  # the three current penalties, not the fourth
    profile = client.get(reverse("portal:profile", args=[subject.pk])).content.decode()
    assert EXPIRED not in profile
    report = report_issue(subject=subject, purpose="bidding")
    assert EXPIRED not in str(report.snapshot)
    assert EXPIRED not in pdf_text(report_pdf(report))
    verify = client.get(reverse("reports:verify"), {"number": report.number, "code": report.verification_code})
    assert EXPIRED not in verify.content.decode()
    # Once the others leave their window too, the search shows no current penalty.
    Record.objects.filter(subject=subject, record_type__code="penalty").update(status="expired")
    assert client.get(reverse("portal:search"), {"q": "鑫源水产"}).context["outcome"].hits[0].penalties == 0


# --- ID numbers -------------------------------------------------------------------------------


def _id_leaks(text: str) -> list[str]:
    return [number for number in PERSON_IDS if number in text or number.lower() in text]


def test_no_seeded_id_number_appears_unmasked_on_any_public_page_or_api(county):
    client = Client()
    persons = list(Subject.objects.filter(kind="person"))
    assert len(persons) == 2
    urls = [
        reverse("portal:home"),
        reverse("portal:columns"),
        reverse("portal:guidance"),
        reverse("reports:verify"),
        reverse("records_public:list"),
        reverse("lists_public:list"),
        "/api/v1/records/public/",
    ]
    urls += [reverse("portal:search") + f"?q={q}" for q in ("王某", "李某", "某甲", *PERSON_IDS, "乳山")]
    urls += [reverse("portal:profile", args=[s.pk]) for s in Subject.objects.all()]
    urls += [reverse("records_public:detail", args=[r.pk]) for r in Record.objects.all()]
    urls += [f"/api/v1/records/public/{r.pk}/" for r in Record.objects.all()]
    bodies = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        bodies[url] = response.content.decode()
    for person in persons:
        report = report_issue(subject=person, purpose="self_check")
        bodies[f"pdf {person}"] = pdf_text(report_pdf(report))
        api = client.get("/api/v1/reports/verify/", {"number": report.number, "code": report.verification_code})
        assert api.status_code == 200
        bodies[f"verify api {person}"] = api.content.decode()
        page = client.get(reverse("reports:verify"), {"number": report.number, "code": report.verification_code})
        bodies[f"verify page {person}"] = page.content.decode()
    leaks = {url: _id_leaks(body) for url, body in bodies.items() if _id_leaks(body)}
    assert not leaks, leaks
    # The masked forms are there: the scan did look at the persons' pages.
    everything = "\n".join(bodies.values())
    assert "110105********002X" in everything and "371083********0013" in everything
    # And no other 18-character ID-looking number slipped through on those pages.
    assert not re.search(
        r"(?<![0-9A-Z])[1-9][0-9]{16}[0-9X](?![0-9A-Z])",
        "\n".join(body for url, body in bodies.items() if "profile" in url or "pdf" in url),
    )

"""ID and mobile numbers typed into names, document numbers and free text never reach the public in full.

A record's 行政相对人名称 ``赵六（身份证371083198808088888）`` and a 文书号 carrying a
mobile number are checked on every public output: search, profile, 双公示 list
and detail, objection form, public API, the credit report PDF, its verify page
and verify API — and a report issued before masking existed is masked when shown.
"""

import datetime
import json
import re
import unicodedata

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Department
from apps.catalog.models import RecordType
from apps.commitments.models import Commitment, CommitmentTemplate
from apps.records.export import csv_lines
from apps.records.filtersets import StaffRecordFilterSet
from apps.records.models import Record
from apps.records.tests.factories import ingest_rows, penalty_row
from apps.reports.pdf import report_pdf
from apps.reports.services import report_issue, snapshot_hash
from apps.reports.tests.test_reports import pdf_text
from apps.subjects.codes import build_uscc
from apps.subjects.models import Subject

from .conftest import TODAY, company

pytestmark = pytest.mark.django_db

ZHAO_ID = "371083198808088888"  # a valid number (check digit 8)
ZHAO_NAME = f"赵六（身份证{ZHAO_ID}）"
ZHAO_NUMBER = "乳市监罚〔2024〕88号（电话139-1234-5678）"
SHOP = "乳山市赵记水产经营部（电话13812345678）"
SHOP_USCC = build_uscc("92", "371083", "MA3X0088")
SHOP_NUMBER = "乳市监罚〔2024〕89号ID371083198808088888"
# What must never be readable, once separators are dropped and full-width digits folded.
SECRETS = (ZHAO_ID, "19880808", "13812345678", "13912345678")


def _leaks(text: str) -> list[str]:
    flat = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text))
    return [secret for secret in SECRETS if secret in flat]


@pytest.fixture
def numbers(dept_a):
    ingest_rows(
        dept_a,
        [
            penalty_row(
                dept_a,
                88,
                CF_XDR_MC=ZHAO_NAME,
                CF_XDR_LB="自然人",
                CF_XDR_SHXYM=None,
                CF_FRDB=None,
                CF_XDR_ZJLX="身份证",
                CF_XDR_ZJHM=ZHAO_ID,
                CF_WSH=ZHAO_NUMBER,
                CF_SY="经查，当事人ID371083198808088888（手机+86 138 1234 5678）无证经营。",
            ),
            company(
                dept_a,
                89,
                SHOP,
                SHOP_USCC,
                CF_WSH=SHOP_NUMBER,
                CF_FRDB="赵六１３９１２３４５６７８",
                CF_NR="罚款人民币5000元，联系人电话139 1234 5678。",
            ),
        ],
        today=TODAY,
    )
    zhao = Subject.objects.get(kind="person")
    shop = Subject.objects.get(uscc=SHOP_USCC)
    # Staff see what was typed: the record keeps it as written.
    assert Record.objects.filter(subject_name=ZHAO_NAME, decision_number=ZHAO_NUMBER).exists()
    assert zhao.name == ZHAO_NAME
    return zhao, shop


def _public_bodies(client, zhao, shop) -> dict[str, str]:
    records = list(Record.objects.filter(subject__in=[zhao, shop]))
    urls = [
        reverse("portal:search") + "?q=赵六",
        reverse("portal:search") + "?q=赵记水产",
        reverse("portal:profile", args=[zhao.pk]),
        reverse("portal:profile", args=[shop.pk]),
        reverse("records_public:list"),
        reverse("records_public:list") + "?name=赵六",
        "/api/v1/records/public/",
    ]
    urls += [reverse("records_public:detail", args=[r.pk]) for r in records]
    urls += [reverse("repair:objection_create", args=[r.pk]) for r in records]
    urls += [f"/api/v1/records/public/{r.pk}/" for r in records]
    bodies = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        bodies[url] = response.content.decode()
    return bodies


def test_no_full_id_or_mobile_number_on_any_public_page_or_api(numbers):
    zhao, shop = numbers
    bodies = _public_bodies(Client(), zhao, shop)
    leaks = {url: _leaks(body) for url, body in bodies.items() if _leaks(body)}
    assert not leaks, leaks
    # The pages did show the records, masked.
    profile = bodies[reverse("portal:profile", args=[zhao.pk])]
    assert "赵六（身份证371083********8888）" in profile
    assert "乳市监罚〔2024〕88号（电话139****5678）" in profile
    shop_profile = bodies[reverse("portal:profile", args=[shop.pk])]
    assert "乳山市赵记水产经营部（电话138****5678）" in shop_profile
    assert "乳市监罚〔2024〕89号ID371083********8888" in shop_profile
    search = bodies[reverse("portal:search") + "?q=赵六"]
    assert "赵六（身份证371083********8888）" in search
    listing = bodies[reverse("records_public:list")]
    assert "赵六（身份证371083********8888）" in listing and "139****5678" in listing


def test_public_api_json_masks_names_and_document_numbers(numbers):
    zhao, _shop = numbers
    record = Record.objects.get(subject=zhao)
    body = Client().get(f"/api/v1/records/public/{record.pk}/").json()
    assert body["subject_name"] == "赵六（身份证371083********8888）"
    assert body["decision_number"] == "乳市监罚〔2024〕88号（电话139****5678）"
    assert body["data"]["CF_XDR_MC"] == "赵六（身份证371083********8888）"
    assert "ID371083********8888（手机+86 138****5678）" in body["data"]["CF_SY"]
    listed = Client().get("/api/v1/records/public/").json()
    assert not _leaks(json.dumps(listed, ensure_ascii=False))


def test_credit_report_pdf_verify_page_and_api_show_no_full_number(numbers, center):
    client = Client()
    for subject in numbers:
        for kind in ("standard", "special"):
            extra = {}
            if kind == "special":
                extra = {
                    "requester": center,  # the 专用版 is issued to the subject or at the center's window
                    "department_ids": list(Department.objects.values_list("pk", flat=True)),
                    "period_from": datetime.date(2024, 1, 1),
                    "period_to": datetime.date(2024, 10, 1),
                }
            report = report_issue(subject=subject, purpose="bidding", kind=kind, **extra)
            # The sealed snapshot itself holds the masked text.
            assert not _leaks(json.dumps(report.snapshot, ensure_ascii=False)), report.snapshot
            assert not _leaks(report.subject_name)
            text = pdf_text(report_pdf(report))
            assert not _leaks(text), text
            assert "371083********8888" in re.sub(r"\s", "", text)
            query = {"number": report.number, "code": report.verification_code}
            page = client.get(reverse("reports:verify"), query).content.decode()
            api = client.get("/api/v1/reports/verify/", query).content.decode()
            assert not _leaks(page) and not _leaks(api)


def test_a_report_issued_before_masking_is_masked_when_shown(numbers):
    """Reports issued by the old code hold the numbers as typed; the PDF and both verify views mask them."""
    zhao, _shop = numbers
    report = report_issue(subject=zhao, purpose="bidding")
    snapshot = json.loads(json.dumps(report.snapshot))
    snapshot["subject"]["name"] = ZHAO_NAME
    snapshot["purpose_note"] = "联系13812345678"
    for row in snapshot["records"]:
        row["decision_number"] = ZHAO_NUMBER
        row["summary"] = f"当事人{ZHAO_ID}"
    report.snapshot, report.snapshot_hash, report.subject_name = snapshot, snapshot_hash(snapshot), ZHAO_NAME
    report.save()
    text = pdf_text(report_pdf(report))
    assert not _leaks(text) and "371083********8888" in re.sub(r"\s", "", text)
    query = {"number": report.number, "code": report.verification_code}
    client = Client()
    page = client.get(reverse("reports:verify"), query)
    assert 'data-status="verified"' in page.content.decode()  # the stored snapshot is untouched
    api = client.get("/api/v1/reports/verify/", query).json()
    assert api["verified"] and api["subject_name"] == "赵六（身份证371083********8888）"
    assert not _leaks(page.content.decode()) and not _leaks(json.dumps(api, ensure_ascii=False))


def test_masked_digits_cannot_be_found_by_searching_for_them(numbers):
    """The search must not confirm the hidden digits one query at a time."""
    client = Client()
    for q in ("身份证3710831988", "1988", "赵六 08088888", "电话1381234"):
        outcome = client.get(reverse("portal:search"), {"q": q}).context["outcome"]
        assert outcome.hits == [], q
        assert not _leaks(outcome.query)
    # What the public can read still finds the subject.
    for q in ("赵六", "身份证371083", "8888", "赵记水产 5678"):
        assert client.get(reverse("portal:search"), {"q": q}).context["outcome"].hits, q


def test_public_filters_cannot_probe_masked_digits_but_staff_filters_can(numbers, dept_a):
    client = Client()
    zhao, shop = numbers
    ingest_rows(
        dept_a, [company(dept_a, 90, "乳山市普通商贸有限公司", build_uscc("91", "371083", "MA3X0090"))], today=TODAY
    )

    def listed(url, **query):
        return client.get(url, query).content.decode()

    page = reverse("records_public:list")
    for query in ({"name": "身份证3710831988"}, {"name": "1988"}, {"number": "1391234"}, {"name": "电话1381234"}):
        assert "371083********8888" not in listed(page, **query) and "138****5678" not in listed(page, **query)
        assert len(client.get("/api/v1/records/public/", query).json()["results"]) == 0, query
    # What the public can read still finds the records.
    assert "赵六（身份证371083********8888）" in listed(page, name="赵六")
    assert len(client.get("/api/v1/records/public/", {"number": "〔2024〕90号"}).json()["results"]) == 1
    # The price of privacy: digits do not search inside a value that carries a long number, even its
    # visible digits (the database cannot tell which digits the public sees); its other words do.
    assert len(client.get("/api/v1/records/public/", {"number": "〔2024〕88号"}).json()["results"]) == 0
    assert len(client.get("/api/v1/records/public/", {"number": "（电话"}).json()["results"]) == 1
    # Staff read the values in full, and search them in full.
    staff = StaffRecordFilterSet({"name": "1988"}, queryset=Record.objects.all())
    assert list(staff.qs.values_list("subject_id", flat=True)) == [zhao.pk]


def test_commitments_public_page_masks_matter_and_name_and_cannot_be_probed(numbers, dept_a):
    _zhao, shop = numbers
    template = CommitmentTemplate.objects.get(type="tolerance", matter="市场主体登记容缺受理")
    Commitment.objects.create(
        code="37108320241010000001",
        template=template,
        type=template.type,
        subject=shop,
        matter="容缺受理（联系人电话13812345678）",
        text="……",
        signed_on=datetime.date(2024, 10, 9),
        due_on=datetime.date(2024, 12, 9),
        channel="paper",
        supervising_department=dept_a,
        fulfilment_deadline=datetime.date(2024, 12, 18),
    )
    client = Client()
    page = client.get(reverse("commitments:public")).content.decode()
    assert not _leaks(page)
    assert "容缺受理（联系人电话138****5678）" in page and "乳山市赵记水产经营部（电话138****5678）" in page
    assert "赵记水产" in client.get(reverse("commitments:public"), {"q": "赵记水产"}).content.decode()
    assert "赵记水产" not in client.get(reverse("commitments:public"), {"q": "1381234"}).content.decode()
    profile = client.get(reverse("portal:profile", args=[shop.pk])).content.decode()
    assert "容缺受理（联系人电话138****5678）" in profile and not _leaks(profile)


def test_provincial_export_masks_names_document_numbers_and_free_text(numbers):
    penalty = RecordType.objects.get(code="penalty")
    specs = list(penalty.fields.order_by("order"))
    text = "".join(csv_lines(Record.objects.filter(record_type=penalty), specs))
    assert not _leaks(text), text
    assert "赵六（身份证371083********8888）" in text and "乳市监罚〔2024〕88号（电话139****5678）" in text

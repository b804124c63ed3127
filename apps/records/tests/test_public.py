import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.catalog.models import RecordType
from apps.records.choices import Status
from apps.records.models import Record

from .factories import PERSON_ID, PERSON_ID_MASKED, ingest_rows, license_row, penalty_row, person_penalty_row

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 10, 10)
LIST_URL = "/publicity/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def record(number):
    return Record.objects.get(decision_number=number)


def detail_url(rec):
    return reverse("records_public:detail", args=[rec.pk])


def listed_numbers(response):
    return [r.decision_number for r in response.context["records"]]


def test_urls():
    assert reverse("records_public:list") == LIST_URL
    assert reverse("records_public:detail", args=[7]) == "/publicity/7/"


def test_list_shows_licences_and_penalties_in_their_window_to_anonymous_visitors(dept_a, dept_b):
    ingest_rows(dept_a, [penalty_row(dept_a, 1)], today=TODAY)
    ingest_rows(dept_a, [license_row(dept_a, 2)], type_code="license", today=TODAY)
    ingest_rows(dept_b, [penalty_row(dept_b, 3)], today=TODAY)
    response = Client().get(LIST_URL)
    assert response.status_code == 200
    assert sorted(listed_numbers(response)) == sorted(
        ["乳市监罚〔2024〕1号", "乳市监许〔2024〕2号", "乳市监罚〔2024〕3号"]
    )
    html = response.content.decode()
    assert '<div class="table-scroll">' in html  # the table scrolls sideways on a phone
    assert "乳山市测试商贸有限公司1" in html and "行政许可" in html


def test_records_outside_the_public_set_are_not_listed_and_their_detail_is_404(dept_a):
    ingest_rows(
        dept_a,
        [
            penalty_row(dept_a, 1),  # visible
            penalty_row(dept_a, 2, CF_CFLB="警告", CF_NR_FK=None, CF_NR_WFFF=None, CF_NR="警告"),  # not publicised
            penalty_row(dept_a, 3),  # revoked below
            penalty_row(dept_a, 4),  # expired below
            penalty_row(dept_a, 5),  # repaired below
            penalty_row(dept_a, 6),  # draft below
            penalty_row(dept_a, 7),  # window ended yesterday
            penalty_row(dept_a, 8),  # window starts tomorrow
        ],
        today=TODAY,
    )
    Record.objects.filter(decision_number__endswith="3号").update(status=Status.REVOKED)
    Record.objects.filter(decision_number__endswith="4号").update(status=Status.EXPIRED)
    Record.objects.filter(decision_number__endswith="5号").update(repaired=True)
    Record.objects.filter(decision_number__endswith="6号").update(status=Status.DRAFT)
    Record.objects.filter(decision_number__endswith="7号").update(publicity_end=TODAY - datetime.timedelta(days=1))
    Record.objects.filter(decision_number__endswith="8号").update(publicity_start=TODAY + datetime.timedelta(days=1))
    assert record("乳市监罚〔2024〕2号").is_publicised is False

    client = Client()
    assert listed_numbers(client.get(LIST_URL)) == ["乳市监罚〔2024〕1号"]
    assert client.get(detail_url(record("乳市监罚〔2024〕1号"))).status_code == 200
    for n in range(2, 9):
        assert client.get(detail_url(record(f"乳市监罚〔2024〕{n}号"))).status_code == 404, n
    assert client.get("/publicity/999999/").status_code == 404


def test_window_ends_automatically(dept_a):
    ingest_rows(dept_a, [penalty_row(dept_a)], today=TODAY)
    rec = Record.objects.get()
    assert rec.publicity_end == datetime.date(2025, 9, 27)
    with time_machine.travel(datetime.datetime(2025, 9, 27, 15, 0, tzinfo=datetime.UTC), tick=False):
        assert Client().get(detail_url(rec)).status_code == 200  # 23:00 in Shanghai, last day
    with time_machine.travel(datetime.datetime(2025, 9, 27, 17, 0, tzinfo=datetime.UTC), tick=False):
        assert Client().get(detail_url(rec)).status_code == 404  # 01:00 the next day in Shanghai
        assert listed_numbers(Client().get(LIST_URL)) == []


def test_non_public_record_types_are_hidden(dept_a):
    ingest_rows(dept_a, [penalty_row(dept_a)], today=TODAY)
    rec = Record.objects.get()
    RecordType.objects.filter(code="penalty").update(is_public=False)
    assert Client().get(detail_url(rec)).status_code == 404
    assert listed_numbers(Client().get(LIST_URL)) == []
    # …and the type filter does not offer it.
    assert "penalty" not in Client().get(LIST_URL).context["filter"].form.fields["type"].widget.render("type", "")


def test_detail_shows_public_fields_in_catalog_order_with_catalog_labels(dept_a):
    ingest_rows(dept_a, [penalty_row(dept_a, CF_CFLB="罚款;没收违法所得")], today=TODAY)
    rec = Record.objects.get()
    response = Client().get(detail_url(rec))
    assert response.status_code == 200
    labels = [f.label for f in response.context["fields"]]
    assert labels[:3] == ["行政相对人名称", "行政相对人类别", "统一社会信用代码"]
    assert labels.index("行政处罚决定书文号") < labels.index("处罚类别") < labels.index("处罚决定日期")
    assert "法定代表人证件号码" not in labels and "证件号码" not in labels
    html = response.content.decode()
    assert '<th scope="row">处罚类别</th><td>罚款;没收违法所得</td>' in html
    assert "乳山市市场监督管理局" in html
    assert "2025-09-27" in html  # end of the publicity period


def test_person_id_numbers_are_never_shown_unmasked(dept_a):
    ingest_rows(
        dept_a, [person_penalty_row(dept_a, CF_SY=f"当事人王某（身份证号码{PERSON_ID}）无证经营。")], today=TODAY
    )
    rec = Record.objects.get()
    client = Client()
    for url in (LIST_URL, detail_url(rec), f"{LIST_URL}?name=王某"):
        html = client.get(url).content.decode()
        assert PERSON_ID not in html, url
        assert PERSON_ID.lower() not in html.lower()
    assert PERSON_ID_MASKED in client.get(LIST_URL).content.decode()
    detail = client.get(detail_url(rec)).content.decode()
    assert f"身份证号码{PERSON_ID_MASKED}" in detail  # an ID number typed into free text is masked too
    # Searching the public list by the full ID number finds nothing (no lookup oracle).
    assert listed_numbers(client.get(LIST_URL, {"code": PERSON_ID})) == []


def test_html_and_script_in_text_fields_render_inert(dept_a):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    ingest_rows(dept_a, [penalty_row(dept_a, CF_XDR_MC=f"乳山市{payload}商贸有限公司", CF_SY=payload)], today=TODAY)
    rec = Record.objects.get()
    for url in (LIST_URL, detail_url(rec)):
        html = Client().get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, url


def test_objection_and_repair_are_marked(dept_a):
    ingest_rows(dept_a, [penalty_row(dept_a, 1), penalty_row(dept_a, 2), penalty_row(dept_a, 3)], today=TODAY)
    Record.objects.filter(decision_number__endswith="1号").update(under_objection=True)
    Record.objects.filter(decision_number__endswith="2号").update(under_repair=True)
    html = Client().get(LIST_URL).content.decode()
    assert html.count("异议处理中") == 1 and html.count("信用修复中") == 1
    assert "异议处理中" in Client().get(detail_url(record("乳市监罚〔2024〕1号"))).content.decode()
    assert "信用修复中" in Client().get(detail_url(record("乳市监罚〔2024〕2号"))).content.decode()
    plain = Client().get(detail_url(record("乳市监罚〔2024〕3号"))).content.decode()
    assert "异议处理中" not in plain and "信用修复中" not in plain


def test_search_and_filters(dept_a, dept_b):
    ingest_rows(dept_a, [penalty_row(dept_a, 1), penalty_row(dept_a, 2, CF_JDRQ="2024-08-15")], today=TODAY)
    ingest_rows(dept_a, [license_row(dept_a, 3)], type_code="license", today=TODAY)
    ingest_rows(dept_b, [penalty_row(dept_b, 4, CF_XDR_MC="乳山市海洋渔业有限公司")], today=TODAY)
    client = Client()

    def numbers(**params):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return sorted(listed_numbers(response))

    assert numbers(name="海洋渔业") == ["乳市监罚〔2024〕4号"]
    assert numbers(code=penalty_row(dept_a, 1)["CF_XDR_SHXYM"].lower()) == ["乳市监罚〔2024〕1号"]
    assert numbers(number="监许") == ["乳市监许〔2024〕3号"]
    assert numbers(type="license") == ["乳市监许〔2024〕3号"]
    assert numbers(department=dept_b.code) == ["乳市监罚〔2024〕4号"]
    assert numbers(decided_from="2024-08-01", decided_to="2024-08-31") == ["乳市监罚〔2024〕2号"]
    assert numbers(type="penalty", department=dept_a.code, decided_from="2024-09-01") == ["乳市监罚〔2024〕1号"]
    # A bad value is reported on the form, not a crash; the other filters still apply.
    response = client.get(LIST_URL, {"decided_from": "昨天", "type": "nosuch", "name": "海洋"})
    assert response.status_code == 200
    assert listed_numbers(response) == ["乳市监罚〔2024〕4号"]
    assert "有效的日期" in response.content.decode()


def test_pagination_keeps_the_filters(dept_a):
    ingest_rows(dept_a, [penalty_row(dept_a, n) for n in range(1, 24)], today=TODAY)
    response = Client().get(LIST_URL, {"type": "penalty"})
    assert len(response.context["records"]) == 20
    html = response.content.decode()
    assert re.search(r'href="\?type=penalty&amp;page=2"', html)
    assert len(Client().get(LIST_URL, {"type": "penalty", "page": 2}).context["records"]) == 3


def test_query_count_does_not_grow_with_the_page(dept_a, django_assert_max_num_queries):
    ingest_rows(dept_a, [penalty_row(dept_a, n) for n in range(1, 21)], today=TODAY)
    with django_assert_max_num_queries(8):
        Client().get(LIST_URL)

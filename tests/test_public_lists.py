"""Public lists over millions of rows: bounded pages, no exact COUNT, cursor paging, a statement timeout.

Against the real PostgreSQL: the statement timeout is PostgreSQL's own, cancelled by the server.
"""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from apps.records.models import Record
from apps.records.services import records_ingest
from apps.records.tests.factories import penalty_row

TODAY = datetime.date(2024, 10, 10)
API = "/api/v1/records/public/"


@pytest.fixture(autouse=True)
def frozen():
    cache.clear()  # the public API's throttle counts
    with time_machine.travel(datetime.datetime(2024, 10, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def ingest(dept, count, *, days=3):
    """``count`` public penalties spread over ``days`` decision dates (several rows on each date)."""
    rows = [
        penalty_row(dept, n, CF_JDRQ=(datetime.date(2024, 9, 27) - datetime.timedelta(days=n % days)).isoformat())
        for n in range(1, count + 1)
    ]
    summary = records_ingest(record_type="penalty", department=dept, rows=list(enumerate(rows, start=2)), today=TODAY)
    assert summary.as_dict()["accepted"] == count


def counts_over_records(queries):
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


# --- the public API ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_oversized_limit_is_clamped_to_the_setting(dept_a, settings):
    settings.PUBLIC_PAGE_SIZE_MAX = 3
    ingest(dept_a, 5)
    for limit in ("1000000", "4", "-1", "abc"):
        response = Client().get(API, {"limit": limit})
        assert response.status_code == 200
        assert len(response.json()["results"]) <= 3, limit
    body = Client().get(API, {"limit": "1000000"}).json()
    assert len(body["results"]) == 3 and "limit=3" in body["next"]


@pytest.mark.django_db
def test_the_cursor_walks_every_row_once_newest_first_without_a_count(dept_a):
    ingest(dept_a, 7)  # three decision dates: ties on the date are ordered by id
    expected = list(Record.objects.order_by("-decision_date", "-pk").values_list("decision_number", flat=True))
    seen, url, pages = [], API + "?limit=2", 0
    with CaptureQueriesContext(connection) as queries:
        while url:
            response = Client().get(url)
            assert response.status_code == 200
            body = response.json()
            assert set(body) == {"next", "results"}  # no count
            seen += [r["decision_number"] for r in body["results"]]
            url, pages = body["next"], pages + 1
            assert url is None or "cursor=" in url
    assert seen == expected and pages == 4
    assert counts_over_records(queries.captured_queries) == []
    # A deep page is one LIMITed range read from the cursor, never an OFFSET past the rows before it.
    page_reads = [q["sql"] for q in queries.captured_queries if 'FROM "records_record"' in q["sql"]]
    assert page_reads and all("OFFSET" not in sql for sql in page_reads)


@pytest.mark.django_db
def test_a_bad_cursor_is_a_chinese_400_not_a_500(dept_a):
    ingest(dept_a, 2)
    for cursor in ("!!!", "bm90LWEtZGF0ZQ", "MjAyNC0wOS0yN3x4"):
        response = Client().get(API, {"cursor": cursor})
        assert response.status_code == 400, cursor
        assert "分页游标" in response.json()["cursor"][0]


def test_the_schema_documents_cursor_pages_and_the_503():
    schema = Client().get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"][API]["get"]
    params = {p["name"] for p in operation["parameters"]}
    assert {"limit", "cursor"} <= params and "offset" not in params
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]
    ref = page["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"next", "results"}
    assert "503" in operation["responses"]


@pytest.mark.django_db
def test_other_api_lists_clamp_their_limit(dept_a, settings):
    from apps.accounts.models import ApiKey

    settings.API_PAGE_SIZE_MAX = 2
    ingest(dept_a, 4)
    _key, raw = ApiKey.issue(name="执法办案系统", department=dept_a, scopes=["records:read"])
    body = Client(headers={"Authorization": f"Api-Key {raw}"}).get("/api/v1/records/", {"limit": 100000}).json()
    assert len(body["results"]) == 2


# --- the public HTML lists -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_publicity_pages_stop_at_the_deepest_page_offered_and_never_count(dept_a, settings):
    settings.PUBLIC_MAX_PAGES = 2
    ingest(dept_a, 45)  # three pages of 20 exist; two are offered
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/publicity/")
        second = client.get("/publicity/", {"page": 2})
        deep = client.get("/publicity/", {"page": 10**9})
    assert counts_over_records(queries.captured_queries) == []
    assert len(first.context["records"]) == 20 and "page=2" in first.content.decode()
    assert second.context["page_obj"].number == 2 and not second.context["page_obj"].has_next
    assert "最多显示前 2 页" in second.content.decode()
    # A page number past the last page offered shows that last page (an OFFSET of 20, not of 10**9 * 20).
    assert deep.status_code == 200 and deep.context["page_obj"].number == 2
    assert [r.pk for r in deep.context["records"]] == [r.pk for r in second.context["records"]]
    assert all("OFFSET 19999" not in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_commitment_and_list_pages_never_count(dept_a, settings):
    from apps.commitments.models import Commitment, CommitmentTemplate
    from apps.subjects.models import Subject

    settings.PUBLIC_MAX_PAGES = 1
    template = CommitmentTemplate.objects.order_by("pk").first()
    subject = Subject.objects.create(kind="legal", name="乳山市鑫源水产有限公司", uscc="91371083MA3C8BXX1Y")
    Commitment.objects.bulk_create(
        Commitment(
            code=f"37108320240901{n:06d}",
            template=template,
            type=template.type,
            matter=f"事项{n}",
            subject=subject,
            text="",
            signed_on=TODAY,
            due_on=TODAY,
            channel="online",
            supervising_department=dept_a,
            status="fulfilled",
            fulfilment_deadline=TODAY,
        )
        for n in range(55)
    )
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        commitments = client.get("/commitments/public/", {"page": 99})
        lists = client.get("/lists/public/", {"page": 99})
    assert commitments.status_code == 200 and lists.status_code == 200
    assert len(commitments.context["rows"]) == 50 and "最多显示前 1 页" in commitments.content.decode()
    assert [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()] == []


# --- the statement timeout -------------------------------------------------------------------------------


PUBLIC_URLS = [
    "/",
    "/search/",
    "/articles/",
    "/publicity/",
    "/publicity/1/",
    "/lists/public/",
    "/lists/public/1/",
    "/commitments/public/",
    "/lists/public/measures/",
    "/commitments/public/templates/",
    "/commitments/public/templates/1/",
    "/commitments/public/matters/",
    API,
    API + "1/",
    "/api/v1/departments/",
]


def test_every_public_list_runs_under_the_statement_timeout():
    from credit_portal.public_queries import is_public_query

    for url in PUBLIC_URLS:
        assert is_public_query(resolve(url).func), url
    # Staff pages and writes are not limited by it.
    for url in ("/records/", "/api/v1/records/", "/commitments/"):
        assert not is_public_query(resolve(url).func), url


@pytest.mark.django_db
def test_a_public_page_sets_the_timeout_inside_its_transaction(settings, dept_a):
    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 1234
    with CaptureQueriesContext(connection) as queries:
        assert Client().get("/publicity/").status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert "set_config('statement_timeout'" in sql[1] and "1234ms" in sql[1]  # after the savepoint, first
    with CaptureQueriesContext(connection) as queries:
        Client().get("/records/")  # a staff page (a redirect to the login): no timeout set
    assert not any("statement_timeout" in q["sql"] for q in queries.captured_queries)


# Serialized like the other transactional tests: its flush must leave the data they restore.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.urls("tests.public_query_urls")
def test_a_statement_past_the_timeout_is_a_chinese_503_and_the_connection_is_reset(settings):
    from credit_portal.public_queries import TIMEOUT_MESSAGE

    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 100
    client = Client()
    shown = client.get("/show/")
    assert shown.status_code == 200 and shown.json() == {"statement_timeout": "100ms"}
    page = client.get("/slow/")
    assert page.status_code == 503 and page["Retry-After"]
    assert TIMEOUT_MESSAGE in page.content.decode() and "<html" in page.content.decode()
    api = client.get("/api/slow/")
    assert api.status_code == 503 and api.json() == {"detail": TIMEOUT_MESSAGE}
    # The timeout was local to the request's transaction: the connection is back to its default.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
    # A slow statement outside the public views is not cancelled.
    assert client.get("/slow-staff/").status_code == 200

"""信用查询: Chinese partial names of two or more characters, USCC, legacy codes; the bigram index serves them."""

import importlib

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.portal.search import name_candidates, public_subject_search
from apps.subjects.models import Subject
from apps.subjects.name_index import name_index_refresh
from apps.subjects.services import subject_create

from .conftest import OTHER, OTHER_USCC, PERSON_IDS, XINYUAN, XINYUAN_USCC

pytestmark = pytest.mark.django_db


def names(query, **kwargs):
    return [hit.name for hit in public_subject_search(query=query, on=timezone.localdate(), **kwargs).hits]


def test_two_character_fragments_anywhere_in_the_name_find_the_subject(county):
    for fragment in ("鑫源", "水产", "乳山", "有限公司", "源水", "鑫源水产有限"):
        assert XINYUAN in names(fragment), fragment
    assert names("恒泰") == [OTHER]
    assert names("鑫泰") == []


def test_several_terms_must_all_match(county):
    assert names("鑫源 水产") == [XINYUAN]
    assert names("鑫源 建筑") == []


def test_a_name_holding_every_bigram_but_not_the_substring_is_not_a_match(db):
    # "乳山山东" holds the bigrams 乳山 and 山东 but not "乳山东": the substring recheck removes it.
    subject_create(kind="legal", name="乳山山东贸易有限公司", uscc="91371083MA3X00037A", strict=False)
    assert names("乳山东") == []
    assert names("山山东") == ["乳山山东贸易有限公司"]


def test_one_character_is_refused_with_a_message(county):
    outcome = public_subject_search(query="鑫", on=timezone.localdate())
    assert outcome.hits == [] and "至少2个字" in outcome.error
    response = Client().get(reverse("portal:search"), {"q": "鑫"})
    assert "至少2个字" in response.content.decode()
    assert public_subject_search(query="鑫源 水", on=timezone.localdate()).error


def test_latin_letters_match_case_insensitively(db):
    subject_create(kind="legal", name="乳山ABC科技有限公司", uscc="91371083MA3X00045X", strict=False)
    assert names("abc") == ["乳山ABC科技有限公司"]
    assert names("Bc科") == ["乳山ABC科技有限公司"]


def test_search_by_uscc_full_or_leading_part_and_by_legacy_code(county):
    Subject.objects.filter(name=OTHER).update(registration_number="371083000012345")
    assert names(XINYUAN_USCC) == [XINYUAN]
    assert names(XINYUAN_USCC.lower()) == [XINYUAN]
    assert names(XINYUAN_USCC[:16]) == [XINYUAN]
    assert names("371083000012345") == [OTHER]
    assert names(OTHER_USCC) == [OTHER]


def test_an_id_number_is_not_a_public_search_key(county):
    assert names(PERSON_IDS[0]) == []


def test_exact_and_leading_matches_rank_first_and_results_are_capped(db):
    for i, name in enumerate(["乳山鑫源大酒店有限公司", "鑫源", "鑫源商贸", "威海鑫源"]):
        subject_create(kind="legal", name=name, uscc=f"91371083MA3Y{i:04d}00", strict=False)
    assert names("鑫源") == ["鑫源", "鑫源商贸", "威海鑫源", "乳山鑫源大酒店有限公司"]
    outcome = public_subject_search(query="鑫源", on=timezone.localdate(), limit=2)
    assert len(outcome.hits) == 2 and outcome.truncated


def test_persons_are_found_only_while_something_about_them_is_public(county):
    assert names("王某") == ["王某甲"]
    subject_create(kind="person", name="王某丙", id_number="110105194912310038")
    assert names("王某") == ["王某甲"]


def test_search_page_shows_masked_codes_and_links_to_profiles(county):
    response = Client().get(reverse("portal:search"), {"q": "某"})
    assert response.status_code == 200
    response = Client().get(reverse("portal:search"), {"q": "王某"})
    html = response.content.decode()
    assert "110105********002X" in html and PERSON_IDS[0] not in html
    subject = Subject.objects.get(name="王某甲")
    assert reverse("portal:profile", args=[subject.pk]) in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bigram index exists on PostgreSQL only")
@pytest.mark.parametrize(
    ("persons", "index"), [(False, "subject_name_bigrams_gin"), (True, "subject_person_name_bigrams_gin")]
)
def test_name_search_is_served_by_the_bigram_gin_indexes(county, persons, index):
    """EXPLAIN shows the GIN expression index answering the two-character query the search runs.

    The test database holds a handful of rows, where a sequential scan is
    cheaper; switching it (and plain index scans) off makes the planner use the index if, and only if,
    the query's expression and kind condition match the indexed ones — which
    is what this pins. (bench/portal_bench.py prints the plans at a million subjects.)
    """
    qs = name_candidates(terms=["鑫源"], on=timezone.localdate(), persons=persons)[:201]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # a partition's key would do, in a table this small
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
    assert "Bitmap Index Scan" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the name side table exists on PostgreSQL only")
@pytest.mark.parametrize("staged", [True, False], ids=["staged", "pipeline"])
def test_an_imported_subject_is_found_at_once_and_indexed_by_the_refresh_after_the_import(dept_a, settings, staged):
    """The import no longer maintains the name search's GIN index per row: its subjects are queued by a
    trigger and found through the queue until ``name_index_refresh`` (run after the import) indexes them."""
    import io
    import time

    import time_machine

    from apps.catalog.spec import TypeSpec
    from apps.records.choices import Source
    from apps.records.intake.importing import import_table
    from apps.records.intake.table import open_table
    from apps.records.tests.upload_support import FROZEN, csv_bytes, labels, penalty_cells
    from apps.subjects.name_index import name_index_refresh

    settings.IMPORT_STAGED = staged
    rows = [penalty_cells(dept_a, n, CF_XDR_MC=f"乳山市新到{n}号水产有限公司") for n in range(1, 31)]
    table = open_table(io.BytesIO(csv_bytes([labels(), *rows])), "a.csv", TypeSpec.load("penalty"))
    with time_machine.travel(FROZEN, tick=False):
        table.check()
        progress, _ = import_table(table, department=dept_a, source=Source.COMMAND)
    assert progress.accepted == 30

    def queued():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM portal_subject_name_pending")
            return cursor.fetchone()[0]

    assert queued() == 30  # not in the side table yet …
    assert "乳山市新到7号水产有限公司" in names("新到7")  # … and found all the same
    assert len(names("新到")) == 30
    started = time.perf_counter()
    assert name_index_refresh() == 30
    print(f"name index refresh of 30 subjects: {1000 * (time.perf_counter() - started):.1f} ms")
    assert queued() == 0
    assert names("新到7") == ["乳山市新到7号水产有限公司"] and len(names("新到")) == 30  # now through the GIN index
    # A rename is queued again and found by its new name only (the stale bigrams fail the recheck).
    Subject.objects.filter(name="乳山市新到7号水产有限公司").update(name="乳山市旧港水产有限公司")
    assert names("旧港水产") == ["乳山市旧港水产有限公司"] and names("新到7号") == []
    assert name_index_refresh() == 1 and names("旧港") == ["乳山市旧港水产有限公司"] and names("新到7号") == []
    # A deleted subject leaves the side table with it.
    Subject.objects.filter(name="乳山市旧港水产有限公司").delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM portal_subject_name")
        assert cursor.fetchone()[0] == 29


def _explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the name side table exists on PostgreSQL only")
@pytest.mark.parametrize(("persons", "side", "other"), [(False, "_org", "_person"), (True, "_person", "_org")])
def test_each_side_of_the_search_reads_its_own_partition_of_the_name_table(county, persons, side, other):
    """One partition per side, so the planner estimates a fragment from that side's own statistics:
    at 20 M records, persons estimated from the whole table read all 6.67 M names for none (docs/scale.md)."""
    plan = _explain(name_candidates(terms=["鑫源"], on=timezone.localdate(), persons=persons)[:201])
    assert f"portal_subject_name{side}" in plan, plan
    assert f"portal_subject_name{other}" not in plan, plan
    # The side alone under the limit, not appended to the queue's matches: under a UNION the planner
    # stops planning for the few rows the limit reads (10 M records: 2.3 s against 4 ms).
    assert "Append" not in plan.split("SubPlan")[0] and "portal_subject_name_pending" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the name side table exists on PostgreSQL only")
def test_a_subject_whose_kind_changes_moves_to_the_other_side_on_refresh(db):
    subject = subject_create(kind="legal", name="乳山市变更测试有限公司", uscc="91371083MA3X00053K", strict=False)
    name_index_refresh()

    def sides():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tableoid::regclass::text FROM portal_subject_name WHERE subject_id = %s", [subject.pk]
            )
            return [name for (name,) in cursor.fetchall()]

    assert sides() == ["portal_subject_name_org"]
    Subject.objects.filter(pk=subject.pk).update(kind="person")
    assert name_index_refresh() == 1
    assert sides() == ["portal_subject_name_person"]
    Subject.objects.filter(pk=subject.pk).update(name="乳山市改名测试有限公司")
    assert name_index_refresh() == 1 and sides() == ["portal_subject_name_person"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the name side table exists on PostgreSQL only")
def test_the_split_of_the_name_table_goes_back_and_forth_keeping_every_name(county):
    """portal 0004's statements, backward then forward, in the test's transaction (rolled back after)."""
    migration = importlib.import_module("apps.portal.migrations.0004_subject_name_partitioned")

    def facts():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), sum(subject_id), count(*) FILTER (WHERE person) FROM portal_subject_name")
            totals = cursor.fetchone()
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'subject%%name_bigrams_gin' ORDER BY 1"
            )
            return totals, [name for (name,) in cursor.fetchall()]

    name_index_refresh()
    before = facts()
    assert before[0][0] > 0 and before[0][2] > 0
    with connection.cursor() as cursor:
        for statement in migration.BACKWARD:
            cursor.execute(statement)
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'portal_subject_name'::regclass")
        assert cursor.fetchone()[0] == "r"
        assert facts() == before
        for statement in migration.FORWARD:
            cursor.execute(statement)
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'portal_subject_name'::regclass")
        assert cursor.fetchone()[0] == "p"
    assert facts() == before
    assert names("鑫源") == [XINYUAN]

"""The per-process policy cache (credit_portal/policy_cache.py) and compiled querysets (credit_portal/prepared.py)."""

import datetime
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F

from apps.accounts.models import Department
from apps.subjects.selectors import subject_find_by_code
from credit_portal import prepared
from credit_portal.policy_cache import SHARED_VERSION_KEY, PolicyCache
from credit_portal.prepared import PreparedQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def loads():
    """A PolicyCache over the department names, counting its loads."""
    calls = []
    policy = PolicyCache()

    def loader():
        calls.append(1)
        return sorted(Department.objects.values_list("name", flat=True))

    return policy, policy.register("test.departments", loader, models=("accounts.Department",)), calls


def test_a_save_drops_this_process_copy_at_once(loads, dept_a, settings):
    settings.POLICY_CACHE_RECHECK_SECONDS = 3600
    _policy, names, calls = loads
    assert names() == [dept_a.name] and names() == [dept_a.name]
    assert len(calls) == 1
    dept_a.name = "乳山市市场监督管理局（更名）"
    dept_a.save()
    assert names() == ["乳山市市场监督管理局（更名）"]
    dept_a.delete()
    assert names() == []


def test_another_process_edit_is_seen_after_the_recheck_interval(loads, dept_a, settings):
    settings.POLICY_CACHE_RECHECK_SECONDS = 0
    _policy, names, calls = loads
    names()
    # Another worker's edit: the row changes without a signal here, and a new version is published.
    Department.objects.filter(pk=dept_a.pk).update(name="改名后的部门")
    assert names() == [dept_a.name], "same version: the copy is kept"
    cache.set(SHARED_VERSION_KEY, "another-process")
    assert names() == ["改名后的部门"]
    assert len(calls) == 2


def test_the_shared_version_is_published_on_commit(loads, dept_a, django_capture_on_commit_callbacks):
    cache.set(SHARED_VERSION_KEY, "before")
    with django_capture_on_commit_callbacks(execute=True):
        dept_a.save()
    assert cache.get(SHARED_VERSION_KEY) not in (None, "before")


def test_the_ttl_catches_writes_that_send_no_signal(loads, dept_a, settings):
    settings.POLICY_CACHE_RECHECK_SECONDS = 3600
    _policy, names, _calls = loads
    names()
    Department.objects.filter(pk=dept_a.pk).update(name="无信号的改名")
    settings.POLICY_CACHE_SECONDS = 0
    assert names() == ["无信号的改名"]


def test_m2m_changes_drop_the_copy(dept_a, powers, settings):
    settings.POLICY_CACHE_RECHECK_SECONDS = 3600
    policy = PolicyCache()
    names = policy.register(
        "test.powers", lambda: sorted(dept_a.powers.values_list("code", flat=True)), models=("accounts.Department",)
    )
    policy.watch_m2m(Department.powers.through, name="test.powers")
    assert names() == ["license", "penalty"]
    dept_a.powers.remove(powers["penalty"])
    assert names() == ["license"]


# --- PreparedQuery ---------------------------------------------------------------------------


def _departments(*, pk, on, key):
    return Department.objects.filter(pk__gte=pk, created_at__date__gte=on).order_by("pk").values_list("pk", "name")


def test_prepared_query_replays_the_orm_sql_with_new_values(dept_a, dept_b):
    query = PreparedQuery(_departments, pk=int, on=datetime.date)
    long_ago = datetime.date(2000, 1, 1)
    assert query.rows(pk=dept_a.pk, on=long_ago) == [(dept_a.pk, dept_a.name), (dept_b.pk, dept_b.name)]
    assert query.rows(pk=dept_b.pk, on=long_ago) == [(dept_b.pk, dept_b.name)]
    assert query.rows(pk=dept_a.pk, on=datetime.date(2999, 1, 1)) == []
    if connection.vendor == "postgresql":
        assert len(query._compiled) == 1, "compiled once"


def test_prepared_query_applies_field_converters(dept_a):
    """JSON comes back as Python values, as from the queryset itself."""
    from apps.evaluation.models import ScoringModel

    query = PreparedQuery(lambda *, pk, key: ScoringModel.objects.filter(pk__gte=pk).values_list("grades"), pk=int)
    expected = list(ScoringModel.objects.values_list("grades"))
    assert query.rows(pk=0) == expected


def test_prepared_query_refuses_a_parameter_that_never_reaches_the_sql(db):
    if connection.vendor != "postgresql":
        pytest.skip("compiled only on PostgreSQL")
    query = PreparedQuery(lambda *, pk, key: Department.objects.values_list("pk"), pk=int)
    with pytest.raises(ValueError, match="do not reach the SQL"):
        query.rows(pk=1)


def test_prepared_query_evaluates_the_queryset_elsewhere(dept_a, monkeypatch):
    class OtherVendor:
        vendor = "sqlite"

    monkeypatch.setattr(prepared, "connection", OtherVendor())
    query = PreparedQuery(_departments, pk=int, on=datetime.date)
    assert query.rows(pk=dept_a.pk, on=datetime.date(2000, 1, 1)) == [(dept_a.pk, dept_a.name)]
    assert query._compiled == {}


def _prepared_on_server(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{fragment}%"])
        return cursor.fetchone()[0]


def test_a_repeated_statement_is_prepared_on_the_server_by_psycopg(dept_a):
    """Django's documented OPTIONS (server-side binding, a prepare threshold) are what prepares it."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    assert connection.settings_dict["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": 5,
        "options": "-c plan_cache_mode=force_custom_plan",
    }
    marker = "prepared_marker_7f3"  # an alias no other statement of the test session carries
    query = PreparedQuery(
        lambda *, pk, on, key: (
            Department.objects.filter(pk__gte=pk, created_at__date__gte=on)
            .order_by("pk")
            .values("pk", prepared_marker_7f3=F("name"))
        ),
        pk=int,
        on=datetime.date,
    )
    for _ in range(5):  # the threshold: run this often, the next run is prepared
        assert query.rows(pk=dept_a.pk, on=datetime.date(2000, 1, 1)) == [(dept_a.pk, dept_a.name)]
    assert _prepared_on_server(marker) == 0
    assert query.rows(pk=dept_a.pk + 1, on=datetime.date(2000, 1, 1)) == []
    assert _prepared_on_server(marker) == 1


def test_prepared_statements_can_be_switched_off_for_a_pooler():
    """DB_PREPARED_STATEMENTS=false (a transaction-mode pooler): Django's client-side binding, nothing prepared."""

    code = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}))"
    env = {**os.environ, "DB_PREPARED_STATEMENTS": "false", "DJANGO_SETTINGS_MODULE": "credit_portal.settings"}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "{}"


def test_a_prepared_statement_is_still_planned_for_its_values(db):
    """plan_cache_mode=force_custom_plan: the ID-number look-up, prepared after five runs, is planned for each
    number. Its generic plan cannot use the partial index on ``id_number_hash`` (nine subjects in ten have
    none): at 10 M subjects it walked the primary key, 7.7 s for an unknown number (docs/scale.md)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    for n in range(8):
        assert subject_find_by_code(f"11010519491231{n:03d}X") is None
    with connection.cursor() as cursor:
        # PostgreSQL's own choice (auto) keeps custom plans on a test database this small; at scale it does not.
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%id_number_hash%ORDER BY%"],
        )
        plans = cursor.fetchall()
    assert plans, "the look-up was not prepared: the test no longer exercises a prepared statement"
    assert all(generic == 0 and custom >= 3 for generic, custom in plans), plans

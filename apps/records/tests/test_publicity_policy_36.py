"""Publicity and repair under 令2025年第36号 (from 2026-04-01) next to 令第58号 (2023-05-01 to 2026-03-31).

The rules are policy rows by decision date; a 公示截止期 the department sends that disagrees with the
rule is a warning on every path and the rule's end is stored; severity reaches the public views, the
repair materials, the 信用修复告知书 and the evaluation model's vocabulary.
"""

import datetime
import io
import json

import pytest
import time_machine
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from apps.catalog.choices import PolicyKey
from apps.catalog.models import Policy, RecordType
from apps.catalog.spec import TypeSpec
from apps.records.choices import Source
from apps.records.intake.importing import import_table
from apps.records.intake.table import open_table
from apps.records.models import Record
from apps.records.services import records_ingest

from .factories import penalty_row
from .upload_support import as_cells, csv_bytes, labels

pytestmark = pytest.mark.django_db

FROZEN = datetime.datetime(2026, 6, 1, 2, 0, tzinfo=datetime.UTC)
D = datetime.date
WARNING_ONLY = {"CF_CFLB": "警告", "CF_NR": "警告。", "CF_NR_FK": None, "CF_NR_WFFF": None}


@pytest.fixture(autouse=True)
def frozen():
    cache.clear()
    with time_machine.travel(FROZEN, tick=False):
        yield


def ingest(dept, *rows):
    return records_ingest(record_type="penalty", department=dept, rows=[(n + 2, r) for n, r in enumerate(rows)])


def stored(number):
    r = Record.objects.get(decision_number=number)
    return r.severity, r.is_publicised, r.publicity_min_end, r.publicity_end


# --- the rule rows --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "on", "value", "basis"),
    [
        (PolicyKey.PUBLICITY_GENERAL_MAX_MONTHS, "2026-03-31", 12, "第58号"),
        (PolicyKey.PUBLICITY_GENERAL_MAX_MONTHS, "2026-04-01", 12, "2025年第36号"),
        (PolicyKey.PUBLICITY_SERIOUS_MIN_MONTHS, "2026-04-01", 12, "2025年第36号"),
        (PolicyKey.PUBLICITY_SERIOUS_MAX_MONTHS, "2026-04-01", 36, "2025年第36号"),
        (PolicyKey.PUBLICITY_MINOR_MAX_MONTHS, "2026-04-01", None, "2025年第36号"),
        (PolicyKey.UNPUBLISHED_PENALTY_KINDS, "2026-03-31", ["警告", "通报批评"], "第58号"),
        (PolicyKey.UNPUBLISHED_PENALTY_KINDS, "2026-04-01", [], "2025年第36号"),
        (PolicyKey.SEVERITY_MINOR_PENALTY_KINDS, "2026-04-01", ["警告", "通报批评"], "2025年第36号"),
        (PolicyKey.REPAIR_MATERIALS, "2026-04-01", ["commitment", "fulfilment"], "2025年第36号"),
        (PolicyKey.REPAIR_SERIOUS_MATERIALS, "2026-04-01", [], "2025年第36号"),
        (PolicyKey.REPAIR_SERIOUS_MATERIALS, "2023-05-01", ["training", "credit_report"], "第58号"),
        (PolicyKey.REPAIR_SERIOUS_MATERIALS, "2023-04-30", ["training", "credit_report"], "527号"),
        (PolicyKey.REPAIR_MATERIALS, "2023-04-30", ["commitment", "fulfilment"], "527号"),
    ],
)
def test_each_rule_is_a_row_with_its_date_and_legal_source(key, on, value, basis):
    penalty = RecordType.objects.get(code="penalty")
    row = Policy.objects.in_force(key, on=D.fromisoformat(on), record_type=penalty)
    assert row is not None and row.value == value
    assert basis in row.basis


def test_no_row_cites_令第58号_before_it_took_effect():
    early = Policy.objects.filter(effective_from__lt=D(2023, 5, 1), basis__startswith="国家发展改革委令第58号")
    assert list(early.values_list("pk", "key")) == []


# --- publicity by decision date --------------------------------------------------------------------


def test_decisions_on_both_sides_of_2026_04_01(dept_a):
    ingest(
        dept_a,
        penalty_row(dept_a, 1, CF_JDRQ="2026-03-31", **WARNING_ONLY),
        penalty_row(dept_a, 2, CF_JDRQ="2026-04-01", **WARNING_ONLY),
        penalty_row(dept_a, 3, CF_JDRQ="2026-03-31", CF_SXYZCD="严重"),
        penalty_row(dept_a, 4, CF_JDRQ="2026-04-01", CF_SXYZCD="严重"),
        penalty_row(dept_a, 5, CF_JDRQ="2026-04-01", CF_SXYZCD="一般"),
        penalty_row(dept_a, 6, CF_JDRQ="2026-04-01", CF_SXYZCD="严重", **WARNING_ONLY),
    )
    # 警告 only: under 58号令 not publicised (一般 derived); under 36号令 轻微 derived, not publicised.
    assert stored("乳市监罚〔2024〕1号") == ("general", False, None, None)
    assert stored("乳市监罚〔2024〕2号") == ("minor", False, None, None)
    # 严重: one year minimum, three years maximum under both.
    assert stored("乳市监罚〔2024〕3号") == ("serious", True, D(2027, 3, 31), D(2029, 3, 31))
    assert stored("乳市监罚〔2024〕4号") == ("serious", True, D(2027, 4, 1), D(2029, 4, 1))
    assert stored("乳市监罚〔2024〕5号") == ("general", True, D(2026, 7, 1), D(2027, 4, 1))
    # From 2026-04-01 a 警告 the department classifies as 严重 is published: the 58号令 exclusion is gone.
    assert stored("乳市监罚〔2024〕6号") == ("serious", True, D(2027, 4, 1), D(2029, 4, 1))


def test_where_a_row_says_轻微_must_be_published_it_is_for_at_most_that_long_and_repairable_at_once(dept_a):
    penalty = RecordType.objects.get(code="penalty")
    Policy.objects.create(
        key=PolicyKey.PUBLICITY_MINOR_MAX_MONTHS,
        record_type=penalty,
        value=3,
        effective_from=D(2026, 5, 1),
        basis="测试：本地规定轻微失信公示3个月",
    )
    ingest(dept_a, penalty_row(dept_a, 1, CF_JDRQ="2026-05-11", **WARNING_ONLY))
    assert stored("乳市监罚〔2024〕1号") == ("minor", True, D(2026, 5, 11), D(2026, 8, 11))


def test_a_staff_edited_rule_row_changes_the_derivation(dept_a):
    penalty = RecordType.objects.get(code="penalty")
    Policy.objects.create(
        key=PolicyKey.SEVERITY_MINOR_PENALTY_KINDS,
        record_type=penalty,
        value=["警告", "通报批评", "罚款"],
        effective_from=D(2026, 5, 1),
        basis="测试：小额罚款按轻微",
    )
    ingest(dept_a, penalty_row(dept_a, 1, CF_JDRQ="2026-05-11", CF_CFLB="罚款", CF_NR_WFFF=None))
    record = Record.objects.get()
    assert (record.severity, record.severity_source, record.is_publicised) == ("minor", "derived", False)


# --- a 公示截止期 that disagrees: warning, the rule stands ----------------------------------------------


DECLARED = [
    (1, "2026-12-31", True),  # earlier than the 一般 maximum
    (2, "2028-01-01", True),  # later
    (3, "2027-04-01", False),  # the rule's own end: nothing to say
]


def _declared_rows(dept):
    return [penalty_row(dept, n, CF_JDRQ="2026-04-01", CF_GSJZQ=end) for n, end, _ in DECLARED]


def _assert_rule_end_kept():
    for n, _end, _warned in DECLARED:
        assert stored(f"乳市监罚〔2024〕{n}号") == ("general", True, D(2026, 7, 1), D(2027, 4, 1))


@pytest.mark.parametrize("staged", [False, True], ids=["pipeline", "staged"])
def test_upload_warns_about_a_disagreeing_publicity_end_and_stores_the_rules(settings, dept_a, staged):
    settings.IMPORT_STAGED = staged
    data = csv_bytes([labels(), *[as_cells(row) for row in _declared_rows(dept_a)]])
    table = open_table(io.BytesIO(data), "处罚.csv", TypeSpec.load("penalty"))
    table.check()
    progress = import_table(table, department=dept_a, source=Source.UPLOAD)[0]
    assert progress.as_dict() == {"accepted": 3, "rejected": 0, "duplicates": 0}
    warned = {r["row"]: [w["message"] for w in r["warnings"]] for r in progress.warned_rows}
    assert warned == {
        2: ["填报的公示截止期（2026-12-31）与规则不一致：一般失信信息最长公示12个月，公示至 2027-04-01，以规则为准"],
        3: ["填报的公示截止期（2028-01-01）与规则不一致：一般失信信息最长公示12个月，公示至 2027-04-01，以规则为准"],
    }
    _assert_rule_end_kept()


def test_batch_api_returns_the_warning(dept_a, clerk_a, client_for):
    response = client_for(clerk_a).post(
        "/api/v1/records/penalty/batch/",
        json.dumps({"records": _declared_rows(dept_a)}),
        content_type="application/json",
    )
    results = response.json()["results"]
    assert [bool(r["warnings"]) for r in results] == [w for _, _, w in DECLARED]
    assert results[0]["warnings"][0]["label"] == "公示截止期" and "以规则为准" in results[0]["warnings"][0]["message"]
    _assert_rule_end_kept()


def test_form_shows_the_warning(dept_a, clerk_a, client_for):
    row = _declared_rows(dept_a)[0]
    response = client_for(clerk_a).post(
        reverse("records:create", args=["penalty"]),
        {**row, "CF_CFLB": row["CF_CFLB"].split(";"), "submit": ""},
        follow=True,
    )
    assert "填报的公示截止期（2026-12-31）与规则不一致" in response.content.decode()
    assert stored("乳市监罚〔2024〕1号")[3] == D(2027, 4, 1)


def test_a_publicity_end_for_a_penalty_not_published_is_a_warning_too(dept_a):
    summary = ingest(dept_a, penalty_row(dept_a, 1, CF_JDRQ="2026-03-31", CF_GSJZQ="2026-09-30", **WARNING_ONLY))
    (outcome,) = summary.outcomes
    assert [w.message for w in outcome.warnings] == [
        "填报的公示截止期（2026-09-30）不适用：按决定日适用的规则，仅受警告的处罚不予公示，以规则为准"
    ]
    assert stored("乳市监罚〔2024〕1号") == ("general", False, None, None)


# --- what depends on severity ------------------------------------------------------------------------


def test_repair_materials_follow_the_rule_in_force_and_the_severity(dept_a):
    from apps.repair.policy import required_materials

    ingest(
        dept_a,
        penalty_row(dept_a, 1, CF_JDRQ="2026-04-01", CF_SXYZCD="严重"),
        penalty_row(dept_a, 2, CF_JDRQ="2026-04-01", CF_SXYZCD="轻微"),
    )
    serious = Record.objects.get(decision_number="乳市监罚〔2024〕1号")
    minor = Record.objects.get(decision_number="乳市监罚〔2024〕2号")
    assert required_materials(record=serious, on=D(2026, 3, 31)) == [
        "commitment",
        "fulfilment",
        "training",
        "credit_report",
    ]
    assert required_materials(record=serious, on=D(2027, 4, 2)) == ["commitment", "fulfilment"]
    assert required_materials(record=minor, on=D(2026, 3, 31)) == ["commitment", "fulfilment"]


def test_the_notice_names_the_severity(dept_a):
    from apps.repair.documents import NOTICE_TEMPLATE, notice_context

    ingest(
        dept_a,
        penalty_row(dept_a, 1, CF_JDRQ="2026-04-01", CF_SXYZCD="严重"),
        penalty_row(dept_a, 2, CF_JDRQ="2026-03-31", CF_SXYZCD="轻微"),
    )
    serious = render_to_string(
        NOTICE_TEMPLATE, notice_context(Record.objects.get(decision_number="乳市监罚〔2024〕1号"))
    )
    minor = render_to_string(NOTICE_TEMPLATE, notice_context(Record.objects.get(decision_number="乳市监罚〔2024〕2号")))
    assert "严重失信行为。" in serious and "2029年4月1日" in serious
    assert "轻微失信行为。" in minor and "一般失信" not in minor


def test_evaluation_models_may_score_轻微():
    from apps.evaluation.scoring import validate_indicators

    indicator = {
        "code": "penalty_minor",
        "name": "轻微失信",
        "source": "records",
        "filter": {"record_type": ["penalty"], "severity": "minor", "in_publicity": True},
        "points": -1,
        "cap": -3,
    }
    assert not [p for p in validate_indicators([indicator]) if "失信程度" in p]


# --- shown to the public and to staff ----------------------------------------------------------------


def test_public_api_and_pages_show_severity_and_publicity_end(dept_a, clerk_a, client_for):
    ingest(
        dept_a,
        penalty_row(dept_a, 1, CF_JDRQ="2026-04-01", CF_SXYZCD="严重"),
        penalty_row(dept_a, 2, CF_JDRQ="2026-04-01"),
    )
    serious = Record.objects.get(decision_number="乳市监罚〔2024〕1号")
    body = Client().get(f"/api/v1/records/public/{serious.pk}/").json()
    assert (body["severity"], body["severity_display"], body["publicity_end"]) == ("serious", "严重失信", "2029-04-01")
    listing = Client().get("/api/v1/records/public/").json()
    shown = {r["decision_number"]: (r["severity_display"], r["publicity_end"]) for r in listing["results"]}
    assert shown == {
        "乳市监罚〔2024〕1号": ("严重失信", "2029-04-01"),
        "乳市监罚〔2024〕2号": ("一般失信", "2027-04-01"),
    }

    page = Client().get(reverse("records_public:detail", args=[serious.pk])).content.decode()
    assert "严重失信" in page and "2029-04-01" in page
    listing_page = Client().get(reverse("records_public:list")).content.decode()
    assert "严重失信" in listing_page and "2029-04-01" in listing_page and "2027-04-01" in listing_page

    general = Record.objects.get(decision_number="乳市监罚〔2024〕2号")
    staff = client_for(clerk_a).get(reverse("records:detail", args=[general.pk])).content.decode()
    assert "一般失信" in staff and "按规则推定" in staff
    staff = client_for(clerk_a).get(reverse("records:detail", args=[serious.pk])).content.decode()
    assert "部门标明" in staff

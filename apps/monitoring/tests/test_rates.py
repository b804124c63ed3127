import datetime

import pytest

from apps.accounts.models import Department
from apps.catalog.models import RecordType
from apps.monitoring.selectors import Month, month_figures
from apps.monitoring.services import ranking_build
from apps.records.choices import Status
from apps.records.models import Record, ZeroReport
from apps.records.tests.factories import penalty_row

from .conftest import at, ingest

pytestmark = pytest.mark.django_db
OCTOBER = Month(datetime.date(2024, 10, 1))


def type_id(code):
    return RecordType.objects.get(code=code).pk


def test_department_rates(october, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        cells = month_figures(months=[OCTOBER])
    a = cells.department(october["a"].pk, OCTOBER)
    assert (a.expected, a.covered, a.zero) == (2, 2, 0)
    assert (a.reported, a.timely, a.late) == (3, 2, 1)
    assert (a.submitted, a.compliant) == (4, 3)
    assert (a.reporting_rate, a.timely_rate, a.compliance_rate) == (100.0, 66.67, 75.0)
    assert a.score == round((100 + 200 / 3 + 75) / 3, 2) == 80.56

    b = cells.department(october["b"].pk, OCTOBER)
    assert (b.expected, b.covered, b.zero, b.reported, b.submitted) == (1, 1, 1, 0, 0)
    assert (b.reporting_rate, b.timely_rate, b.compliance_rate, b.score) == (100.0, None, None, 100.0)

    c = cells.department(october["c"].pk, OCTOBER)
    assert (c.expected, c.covered, c.reporting_rate, c.participated, c.score) == (1, 0, 0.0, False, None)


def test_type_family_and_total_rates(october):
    cells = month_figures(months=[OCTOBER])
    penalty = cells.record_type(type_id("penalty"), OCTOBER)
    # Three departments hold the penalty power; A reported, B declared 零报告, C did nothing.
    assert (penalty.expected, penalty.covered, penalty.reporting_rate) == (3, 2, 66.67)
    assert (penalty.reported, penalty.timely, penalty.submitted, penalty.compliant) == (2, 2, 3, 2)
    license = cells.record_type(type_id("license"), OCTOBER)
    assert (license.expected, license.covered, license.timely_rate) == (1, 1, 0.0)
    double = cells.family("double_publicity", OCTOBER)
    assert (double.expected, double.covered) == (4, 3)
    total = cells.total(OCTOBER)
    assert (total.reporting_rate, total.timely_rate, total.compliance_rate) == (75.0, 66.67, 75.0)


def test_months_are_local_and_drafts_do_not_count(dept_a):
    # 23:30 on 31 October in Shanghai is October; 00:30 on 1 November is November
    # (both are 31 October in UTC).
    with at(2024, 10, 31, 23, 30):
        ingest(dept_a, [penalty_row(dept_a, 1, CF_JDRQ="2024-10-25")])
    with at(2024, 11, 1, 0, 30):
        ingest(dept_a, [penalty_row(dept_a, 2, CF_JDRQ="2024-10-25"), penalty_row(dept_a, 3, CF_JDRQ="2024-10-25")])
    november = OCTOBER.next
    cells = month_figures(months=[OCTOBER, november])
    assert cells.department(dept_a.pk, OCTOBER).reported == 1
    assert cells.department(dept_a.pk, november).reported == 2
    assert cells.department(dept_a.pk, november).submitted == 2

    Record.objects.filter(decision_number__endswith="〕3号").update(status=Status.DRAFT)
    Record.objects.filter(decision_number__endswith="〕2号").update(status=Status.REVOKED)
    cells = month_figures(months=[november])
    figures = cells.department(dept_a.pk, november)
    assert figures.reported == 0
    assert figures.covered == 0  # nothing counted as reported any more
    assert figures.submitted == 2  # the rows were still received


def test_ranking_order_and_ties(october, powers, clerk_b):
    data = ranking_build(OCTOBER)
    order = [(row["rank"], row["department_code"], row["score"]) for row in data["rows"]]
    assert order == [(1, "swj", 100.0), (2, "scjgj", 80.56), (3, "yjj", None)]

    # A fourth department with only a 零报告 ties with 税务局 and shares first place.
    other = Department.objects.create(code="ajj", name="乳山市安监局", uscc="11371083MB4567890B", region_code="371083")
    other.powers.set([powers["license"]])
    ZeroReport.objects.create(
        department=other, record_type=RecordType.objects.get(code="license"), month=OCTOBER.first, declared_by=clerk_b
    )
    data = ranking_build(OCTOBER)
    order = [(row["rank"], row["department_code"]) for row in data["rows"]]
    assert order == [(1, "ajj"), (1, "swj"), (3, "scjgj"), (4, "yjj")]
    assert "算术平均" in data["formula"]
    assert data["total"]["expected"] == 5
    assert [row["type_code"] for row in data["by_type"]] == ["license", "penalty"]
    assert [row["family"] for row in data["by_family"]] == ["double_publicity"]

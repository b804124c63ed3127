import datetime
from decimal import Decimal

import pytest
import time_machine

from apps.lists.checks import check_feedback_record, credit_check_run
from apps.lists.figures import credit_check_figures, serious_share_score
from apps.lists.models import ListEntry
from apps.lists.services import list_entry_remove
from apps.subjects.choices import OperatingStatus, SubjectKind
from apps.subjects.models import Subject
from apps.subjects.services import subject_create

from .checks_support import (
    A_GRADE,
    PERSON_ID,
    TODAY,
    WATCH,
    company_code,
    entry,
    ingest,
    make_recogniser,
    person_entry,
    travel,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with travel():
        yield


@pytest.mark.parametrize(
    ("share", "score"),
    [
        (None, "4"),
        ("0", "4"),
        ("0.0019", "4"),
        ("0.003", "4"),
        ("0.004", "2.00"),
        ("0.0035", "3.00"),
        ("0.0045", "1.00"),
        ("0.005", "0.00"),
        ("0.02", "0.00"),
    ],
)
def test_serious_share_score_is_linear_between_the_thresholds(share, score):
    assert serious_share_score(None if share is None else Decimal(share)) == Decimal(score)


@pytest.fixture
def dataset(dept_b, center):
    """Six operating market subjects (companies 1–5, one 个体工商户), a cancelled company 9 and a person.

    Lists today: company 1 black + watch, company 2 black, company 3 red, company 9 (cancelled) black,
    the person black; company 4 was black but removed, company 5 black but expired.
    """
    make_recogniser(dept_b)
    subject_create(kind=SubjectKind.INDIVIDUAL_BUSINESS, name="乳山市某某小吃店", uscc="")
    subject_create(kind=SubjectKind.PERSON, name="王某某", id_number=PERSON_ID)
    ingest(
        dept_b,
        [
            entry(dept_b, 1),
            entry(dept_b, 2, list_type=WATCH, subject=1),
            entry(dept_b, 3, subject=2),
            entry(dept_b, 4, list_type=A_GRADE, subject=3),
            entry(dept_b, 5, subject=4),
            entry(dept_b, 6, subject=5, MD_YXQZ="2024-10-01"),
            entry(dept_b, 7, subject=9),
            person_entry(dept_b, 8, name="王某某"),
        ],
    )
    Subject.objects.filter(uscc=company_code(9)).update(status=OperatingStatus.CANCELLED)
    list_entry_remove(
        entry=ListEntry.objects.get(record__decision_number="乳核认〔2024〕5号"), actor=center, reason="x"
    )


def test_figures_on_a_small_dataset(dataset, clerk_a):
    # Companies 1–5 and the shop; company 9 is cancelled and the person is no market subject.
    assert Subject.objects.market_subjects().operating().count() == 6
    first = credit_check_run(query=company_code(1), matter="bidding", channel="web", user=clerk_a)
    credit_check_run(query=company_code(2), matter="bidding", channel="api", user=clerk_a)
    credit_check_run(query=company_code(3), matter="civil_service", channel="web", user=clerk_a)  # red: none
    credit_check_run(query="乳山市查无此司", matter="bidding", channel="batch", user=clerk_a)
    check_feedback_record(credit_check=first, items=[{"measure": "CJ-01", "implemented": True}], user=clerk_a)

    figures = credit_check_figures()
    assert figures.checks == 4 and figures.checks_found == 3
    assert figures.checks_by_channel == {"web": 2, "api": 1, "batch": 1}
    assert figures.market_subjects == 6
    assert figures.check_ratio == Decimal(4) / Decimal(6) and not figures.check_ratio_met
    assert figures.check_score == Decimal("0.00")
    # Black today among operating market subjects: companies 1 and 2 (not the removed 4, the expired 5,
    # the cancelled 9, nor the person, who is counted separately).
    assert figures.serious_subjects == 2 and figures.serious_subjects_all == 4
    assert figures.serious_share == Decimal(2) / Decimal(6) and figures.serious_score == Decimal("0.00")
    assert figures.checks_with_measures == 2 and figures.checks_with_feedback == 1
    assert figures.feedback_rate == Decimal("0.5") and figures.feedback_rate_text() == "50.00%"

    by_type = {row["list_type_name"]: (row["entries"], row["subjects"]) for row in figures.entries_by_type}
    assert by_type == {
        "重大税收违法失信主体": (3, 3),
        "失信被执行人": (1, 1),
        WATCH: (1, 1),
        A_GRADE: (1, 1),
    }
    assert [row["color"] for row in figures.entries_by_type][:2] == ["black", "black"]
    assert {row["department"] for row in figures.entries_by_type_department} == {"国家税务总局乳山市税务局"}
    assert sum(row["entries"] for row in figures.entries_by_type_department) == 6

    data = figures.as_dict()
    assert data["checks"]["total"] == 4 and data["checks"]["met"] is False
    assert data["serious_dishonesty"]["score"] == 0.0 and data["feedback"]["rate"] == 0.5


def test_check_ratio_over_100_percent_scores(dataset, clerk_a):
    for _ in range(7):
        credit_check_run(query=company_code(3), matter="bidding", channel="web", user=clerk_a)
    figures = credit_check_figures()
    assert figures.check_ratio > 1 and figures.check_ratio_met and figures.check_score == Decimal("4")
    assert figures.check_ratio_text() == "116.67%"


def test_checks_are_counted_in_the_period(dataset, clerk_a):
    credit_check_run(query=company_code(3), matter="bidding", channel="web", user=clerk_a)
    with time_machine.travel(datetime.datetime(2024, 10, 12, 1, 0, tzinfo=datetime.UTC), tick=False):
        credit_check_run(query=company_code(3), matter="bidding", channel="web", user=clerk_a)
    assert credit_check_figures(date_from=TODAY, date_to=TODAY).checks == 1
    assert credit_check_figures(date_from=TODAY + datetime.timedelta(days=1)).checks == 1
    assert credit_check_figures(date_to=TODAY - datetime.timedelta(days=1)).checks == 0


def test_figures_with_nothing_yet():
    figures = credit_check_figures()
    assert figures.checks == 0 and figures.market_subjects == 0
    assert figures.check_ratio is None and figures.serious_share is None and figures.feedback_rate is None
    assert figures.serious_score == Decimal("4") and figures.check_score == Decimal("0.00")
    assert figures.as_dict()["checks"]["ratio"] is None

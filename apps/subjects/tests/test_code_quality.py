"""重码 / 错码 detection, the 重错码率, the recheck, the command and the nightly task."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.subjects import selectors
from apps.subjects.choices import SubjectKind
from apps.subjects.models import Subject
from apps.subjects.services import code_quality_scan, subject_codes_recheck, subject_create
from apps.subjects.tasks import nightly_code_quality_scan

from .factories import broken_uscc, make_org, make_person, suspect_uscc, uscc


@pytest.fixture
def dataset(db):
    """10 subjects: 2 重码 codes (one of them also 错码), 3 错码 subjects, 1 suspect.

    affected = 甲, 乙 (重码) + 丁 (错码) + 戊, 己 (重码 and 错码, counted once) = 5.
    """
    subjects = {
        "甲": make_org("乳山市甲公司", uscc(1)),
        "乙": make_org("乳山市乙公司", uscc(1)),
        # same code, same name: a subject entered twice, not 重码
        "丙1": make_org("乳山市丙公司", uscc(2)),
        "丙2": make_org("乳山市丙公司", uscc(2)),
        "丁": make_org("乳山市丁公司", broken_uscc(3), strict=False),
        "戊": make_org("乳山市戊公司", broken_uscc(4), strict=False),
        "己": make_org("乳山市己公司", broken_uscc(4), strict=False),
        "庚": make_org("乳山市庚公司", suspect_uscc(5)),
        "人": make_person("张三"),
        "店": subject_create(kind=SubjectKind.INDIVIDUAL_BUSINESS, name="乳山市无照小店"),
    }
    return subjects


def test_duplicates(dataset):
    rows = list(selectors.duplicate_codes())
    assert [(r["uscc"], r["names"], r["subjects"]) for r in rows] == sorted([(uscc(1), 2, 2), (broken_uscc(4), 2, 2)])


def test_duplicate_groups_carry_the_names(dataset):
    groups = {g["uscc"]: sorted(s.name for s in g["members"]) for g in selectors.duplicate_code_groups()}
    assert groups == {uscc(1): ["乳山市乙公司", "乳山市甲公司"], broken_uscc(4): ["乳山市己公司", "乳山市戊公司"]}


def test_errors_and_suspects(dataset):
    erroneous = selectors.erroneous_subjects()
    assert sorted(s.name for s in erroneous) == ["乳山市丁公司", "乳山市己公司", "乳山市戊公司"]
    assert all(s.code_warnings == ["第18位校验码不符，代码可能录入有误"] for s in erroneous)
    assert [s.name for s in selectors.suspect_subjects()] == ["乳山市庚公司"]


def test_summary_and_rate(dataset):
    summary = selectors.code_quality_summary()
    assert summary.as_dict() == {
        "subjects": 10,
        "duplicate_codes": 2,
        "erroneous_codes": 3,
        "affected_subjects": 5,
        "rate": 0.5,
    }
    assert summary.suspect_codes == 1
    assert summary.rate_percent == "50.0000%"


def test_summary_is_a_fixed_number_of_queries(dataset):
    with CaptureQueriesContext(connection) as queries:
        selectors.code_quality_summary()
    assert len(queries) == 4
    duplicate_sql = next(q["sql"] for q in queries.captured_queries if "COUNT(DISTINCT" in q["sql"])
    assert "HAVING COUNT(DISTINCT" in duplicate_sql


def test_empty_registry_rate_is_zero(db):
    summary = selectors.code_quality_summary()
    assert (summary.subjects, summary.rate, summary.rate_percent) == (0, 0.0, "0%")


def test_recheck_fixes_rows_that_bypassed_the_service(db):
    # Rows as a careless import would leave them: lower-case code, stale flags.
    lower = Subject.objects.create(
        kind=SubjectKind.LEGAL, name="乳山市小写公司", uscc=uscc(7).lower(), code_valid=False
    )
    broken = Subject.objects.create(kind=SubjectKind.LEGAL, name="乳山市坏码公司", uscc=broken_uscc(8))
    twin = Subject.objects.create(kind=SubjectKind.LEGAL, name="乳山市同码公司", uscc=uscc(7))
    fine = make_org("乳山市正常公司", uscc(9))
    person = make_person("李四")
    assert selectors.code_quality_summary().duplicate_codes == 0  # the lower-case spelling hides the 重码

    assert subject_codes_recheck(batch_size=2) == 2
    for subject in (lower, broken, twin, fine, person):
        subject.refresh_from_db()
    assert (lower.uscc, lower.code_valid, lower.code_warnings) == (uscc(7), True, [])
    assert (broken.code_valid, broken.code_warnings) == (False, ["第18位校验码不符，代码可能录入有误"])
    assert twin.code_valid and fine.code_valid and person.code_valid
    assert selectors.code_quality_summary().duplicate_codes == 1
    assert subject_codes_recheck(batch_size=2) == 0  # idempotent


def test_recheck_never_changes_a_letter_into_a_digit(db):
    typo = uscc(11).replace("MA", "MO", 1)
    subject = Subject.objects.create(kind=SubjectKind.LEGAL, name="乳山市O码公司", uscc=typo)
    subject_codes_recheck()
    subject.refresh_from_db()
    assert subject.uscc == typo
    assert subject.code_valid is False


def test_check_codes_command_prints_and_ends_with_json(dataset):
    out = io.StringIO()
    call_command("check_codes", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert json.loads(lines[-1]) == {
        "subjects": 10,
        "duplicate_codes": 2,
        "erroneous_codes": 3,
        "affected_subjects": 5,
        "rate": 0.5,
    }
    text = out.getvalue()
    assert uscc(1) in text and "乳山市甲公司" in text and "乳山市乙公司" in text
    assert "乳山市丁公司" in text and "第18位校验码不符" in text
    assert "疑似错码：1" in text


def test_check_codes_recheck_option(db):
    Subject.objects.create(kind=SubjectKind.LEGAL, name="乳山市坏码公司", uscc=broken_uscc(8))
    out = io.StringIO()
    call_command("check_codes", "--recheck", "--batch-size", "2", stdout=out)
    assert "1 个主体的校验结果有变化" in out.getvalue()
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (summary["erroneous_codes"], summary["affected_subjects"], summary["rate"]) == (1, 1, 1.0)


def test_check_codes_limit(dataset):
    out = io.StringIO()
    call_command("check_codes", "--limit", "1", stdout=out)
    assert "另有 1 条未列出" in out.getvalue()


def test_nightly_task(dataset):
    assert nightly_code_quality_scan.name == "apps.subjects.tasks.nightly_code_quality_scan"
    result = nightly_code_quality_scan.delay().get()
    assert result == code_quality_scan(recheck=False) | {"rechecked": 0}
    assert result["rate"] == 0.5


def test_intake_keeps_an_overlong_code_as_erroneous(db):
    # One character too many is the commonest typo; the record must survive, flagged.
    subject = make_org("乳山市多一位公司", uscc(12) + "1", strict=False)
    subject.refresh_from_db()
    assert subject.uscc == uscc(12) + "1"
    assert subject.code_valid is False
    assert subject.code_warnings == ["统一社会信用代码应为18位，实际为19位"]
    assert selectors.code_quality_summary().erroneous_codes == 1

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from openpyxl import Workbook

from apps.evaluation.engine import evaluate_all
from apps.evaluation.models import GradeChange, ProvincialGrade, ScoringModel, SubjectGrade
from apps.evaluation.selectors import grade_explain
from apps.evaluation.services import provincial_grades_import
from apps.lists.checks import credit_check_run

from .factories import make_record, make_subject

pytestmark = pytest.mark.django_db
needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="set-based path is PostgreSQL-only")


def _model():
    return ScoringModel.objects.get(version=1)


def test_overlapping_thresholds_are_rejected_on_save():
    model = _model()
    model.pk, model.version = None, 2
    model.grades = [
        {"code": "A", "label": "诚信", "min": 85, "max": 100},
        {"code": "B", "label": "一般", "min": 60, "max": 89},
        {"code": "D", "label": "严重失信", "min": 0, "max": 59},
    ]
    with pytest.raises(ValidationError) as exc:
        model.save()
    assert "重叠" in str(exc.value)
    assert not ScoringModel.objects.filter(version=2).exists()


def test_gap_and_unknown_indicator_source_are_rejected():
    model = _model()
    model.pk, model.version = None, 3
    model.grades = [
        {"code": "A", "label": "诚信", "min": 80, "max": 100},
        {"code": "D", "label": "差", "min": 0, "max": 50},
    ]
    model.indicators = [{"code": "x", "name": "x", "source": "weather", "points": 1}]
    with pytest.raises(ValidationError) as exc:
        model.save()
    text = str(exc.value)
    assert "51–79" in text and "weather" in text


@pytest.fixture
def graded_world(dept_a):
    clean = make_subject("清白企业")
    fined = make_subject("受罚企业")
    make_record(fined, dept_a, "penalty", "serious")
    make_record(fined, dept_a, "penalty", "general")
    make_record(fined, dept_a, "penalty", "general", status="draft")  # not reported: does not count
    make_record(fined, dept_a, "penalty", "general", repaired=True)  # repaired: does not count
    rewarded = make_subject("受奖企业")
    for _ in range(5):
        make_record(rewarded, dept_a, "reward", in_publicity=False)
    return clean, fined, rewarded


@pytest.mark.parametrize("method", [pytest.param("sql", marks=needs_postgres), "python"])
def test_evaluation_grades_every_subject(graded_world, method):
    clean, fined, rewarded = graded_world
    run = evaluate_all(method=method)
    assert run.subjects == 3 and run.changed == 3
    grades = {g.subject_id: g for g in SubjectGrade.objects.all()}
    assert (grades[clean.pk].score, grades[clean.pk].grade) == (85, "B")
    assert (grades[fined.pk].score, grades[fined.pk].grade) == (85 - 25 - 5, "D")
    assert grades[fined.pk].details == {"penalty_serious": 1, "penalty_general": 1}
    assert (grades[rewarded.pk].score, grades[rewarded.pk].grade) == (85 + 9, "A")  # capped at +9


@needs_postgres
def test_sql_and_python_paths_agree_and_history_only_on_change(graded_world, dept_a):
    clean, fined, _ = graded_world
    evaluate_all(method="sql")
    sql = {g.subject_id: (g.score, g.grade, g.details) for g in SubjectGrade.objects.all()}
    SubjectGrade.objects.all().delete()
    GradeChange.objects.all().delete()
    evaluate_all(method="python")
    assert sql == {g.subject_id: (g.score, g.grade, g.details) for g in SubjectGrade.objects.all()}
    again = evaluate_all(method="sql")
    assert again.changed == 0
    make_record(clean, dept_a, "penalty", "serious")
    make_record(clean, dept_a, "penalty", "serious")
    run = evaluate_all(method="sql")
    assert run.changed == 1
    change = GradeChange.objects.filter(subject=clean).first()
    assert (change.grade_from, change.grade_to) == ("B", "D")
    assert GradeChange.objects.filter(subject=clean).count() == 2


def test_explanation_lists_contributing_indicators(graded_world):
    _, fined, _ = graded_world
    evaluate_all()
    info = grade_explain(subject=fined)
    assert info["grade"] == "D" and info["label"] == "严重失信"
    assert {p["code"]: p["points"] for p in info["indicators"]} == {"penalty_serious": -25, "penalty_general": -5}
    assert info["base_score"] + sum(p["points"] for p in info["indicators"]) == info["score"]


def _xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "信用等级", "评价日期", "有效期至"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def test_provincial_result_takes_precedence(graded_world, center):
    _, fined, _ = graded_world
    provincial_grades_import(
        file=_xlsx([[fined.uscc.lower(), "一般", datetime.date(2024, 1, 1), None]]),  # label or code
        original_name="省级.xlsx",
        user=center,
    )
    evaluate_all()
    grade = SubjectGrade.objects.get(subject=fined)
    assert (grade.grade, grade.computed_grade, grade.source) == ("B", "D", "provincial")
    SubjectGrade.objects.all().delete()
    evaluate_all(method="python")
    assert SubjectGrade.objects.get(subject=fined).grade == "B"


def test_provincial_import_reports_every_bad_row(graded_world, center):
    with pytest.raises(ValidationError) as exc:
        provincial_grades_import(
            file=_xlsx([["91371083NOPE00000X", "A", "2024-01-01", None], [graded_world[0].uscc, "Z", None, None]]),
            original_name="bad.xlsx",
            user=center,
        )
    messages = exc.value.messages
    assert len(messages) == 2
    assert "第2行" in messages[0] and "没有统一社会信用代码" in messages[0]
    assert "第3行" in messages[1] and "Z" in messages[1] and "评价日期必填" in messages[1]
    assert not ProvincialGrade.objects.exists()


def test_provincial_import_refuses_the_same_subject_twice(graded_world, center):
    uscc = graded_world[0].uscc
    rows = [[uscc, "A", "2024-01-01", None], [uscc.lower(), "B", "2024-01-01", None]]
    with pytest.raises(ValidationError) as exc:
        provincial_grades_import(file=_xlsx(rows), original_name="dup.xlsx", user=center)
    assert exc.value.messages == ["第3行：与第2行是同一主体（每个主体只能有一行）。"]
    assert not ProvincialGrade.objects.exists()


def test_provincial_import_reads_a_csv_with_a_title_above_the_header(graded_world, center):
    _, fined, _ = graded_world
    text = f"山东省公共信用综合评价结果（2024年）\r\n统一社会信用代码*,信用等级,评价日期,有效期至\r\n{fined.uscc},B,2024-01-01,\r\n"
    batch = provincial_grades_import(file=io.BytesIO(text.encode("gb18030")), original_name="省级.csv", user=center)
    assert batch.rows == 1
    assert ProvincialGrade.objects.get(subject=fined).grade == "B"


def test_provincial_import_refuses_other_files_in_chinese(center):
    with pytest.raises(ValidationError) as exc:
        provincial_grades_import(file=io.BytesIO(b"%PDF"), original_name="省级.pdf", user=center)
    assert exc.value.messages == ["不支持的文件类型（.pdf）：请上传 .xlsx 工作簿或 .csv 文件。"]
    with pytest.raises(ValidationError) as exc:
        provincial_grades_import(file=io.BytesIO(b"PK\x03\x04broken"), original_name="省级.xlsx", user=center)
    assert exc.value.messages == ["文件不是有效的 .xlsx 工作簿。"]


def test_credit_check_carries_the_grade(graded_world, clerk_a):
    _, fined, _ = graded_world
    evaluate_all()
    check = credit_check_run(query=fined.uscc, matter="bidding", channel="web", user=clerk_a)
    assert check.result["grade"]["grade"] == "D"
    assert check.result["grade"]["label"] == "严重失信"

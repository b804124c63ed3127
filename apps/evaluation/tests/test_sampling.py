import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from apps.evaluation.engine import evaluate_all
from apps.evaluation.models import InspectionTask, SubjectGrade, SupervisionField
from apps.evaluation.services import inspection_task_create, inspection_task_draw

from .factories import make_record, make_subject

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(dept_a):
    subjects = [make_subject() for _ in range(40)]
    for s in subjects[:10]:  # 10 × A (3 rewards each)
        for _ in range(3):
            make_record(s, dept_a, "reward", in_publicity=False)
    for s in subjects[10:20]:  # 10 × D
        make_record(s, dept_a, "penalty", "serious")
        make_record(s, dept_a, "penalty", "serious")
    evaluate_all()
    return subjects


def _task(clerk, dept, field="food", **kw):
    defaults = dict(
        name="2024年食品经营抽查",
        field=SupervisionField.objects.get(code=field),
        basis="rate",
        rate=0.2,
        inspectors=["甲", "乙", "丙", "丁"],
        inspectors_per_subject=2,
    )
    defaults.update(kw)
    return inspection_task_create(user=clerk, department=dept, **defaults)


def test_sample_larger_than_population_is_refused(population, clerk_a, dept_a):
    task = _task(clerk_a, dept_a, basis="size", rate=None, size=41)
    # The 10 A-grade subjects are left alone (非请勿扰, policy of 2025): 30 of the 40 may be drawn.
    with pytest.raises(ValidationError, match="大于可抽取的主体数（30，对象总数 40）"):
        inspection_task_draw(task=task, user=clerk_a)
    assert not task.samples.exists()


def test_per_grade_rates_and_reproducible_seed(population, clerk_a, dept_a):
    task = inspection_task_draw(task=_task(clerk_a, dept_a), user=clerk_a, seed=12345)
    drawn = {row["grade"]: row["drawn"] for row in task.strata}
    # policy factors A×0 (非请勿扰), B×1, D×3 on a 20% base
    assert drawn == {"A": 0, "B": 4, "D": 6}
    assert task.seed == 12345 and task.population_size == 40
    assert all(len(set(s.inspectors)) == 2 for s in task.samples.all())
    with pytest.raises(ValidationError, match="已抽取"):
        inspection_task_draw(task=task, user=clerk_a)
    # The same seed over the same population draws the same sample. (The first draw is removed: its B-grade
    # subjects would otherwise have had this year's one random inspection and be left out of the second.)
    first = list(task.samples.values_list("subject_id", "inspectors"))
    task.delete()
    again = inspection_task_draw(task=_task(clerk_a, dept_a), user=clerk_a, seed=12345)
    assert list(again.samples.values_list("subject_id", "inspectors")) == first


def test_special_fields_are_exempt_from_reductions(population, clerk_a, dept_a):
    task = inspection_task_draw(task=_task(clerk_a, dept_a, field="vaccine"), user=clerk_a, seed=1)
    drawn = {row["grade"]: row["drawn"] for row in task.strata}
    assert drawn["A"] == 2 and drawn["D"] == 6  # A not reduced, D still raised


def test_size_allocation_weights_grades(population, clerk_a, dept_a):
    task = inspection_task_draw(task=_task(clerk_a, dept_a, basis="size", rate=None, size=10), user=clerk_a, seed=7)
    drawn = {row["grade"]: row["drawn"] for row in task.strata}
    assert sum(drawn.values()) == 10
    assert drawn["D"] > drawn["B"] > drawn["A"]


def test_export_has_sample_and_inspectors(population, clerk_a, dept_a, client_for):
    task = inspection_task_draw(task=_task(clerk_a, dept_a), user=clerk_a, seed=3)
    response = client_for(clerk_a).get(f"/evaluation/inspections/{task.pk}/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb["抽查名单"].iter_rows(values_only=True))
    assert rows[2] == ("序号", "主体名称", "统一社会信用代码/证件号码", "信用等级", "检查人员")
    assert len(rows) == 3 + task.samples.count()
    assert "、" in rows[3][4]


def test_other_department_cannot_see_the_task(population, clerk_a, clerk_b, dept_a, client_for):
    task = _task(clerk_a, dept_a)
    assert client_for(clerk_b).get(f"/evaluation/inspections/{task.pk}/").status_code == 404
    assert client_for(clerk_a).get(f"/evaluation/inspections/{task.pk}/").status_code == 200


def test_grade_pages_for_staff_and_own_subject(population, clerk_a, subject_user, client_for):
    subject = population[10]
    subject_user.subject = subject
    subject_user.save()
    staff = client_for(clerk_a).get(f"/evaluation/subjects/{subject.pk}/").content.decode()
    own = client_for(subject_user).get("/evaluation/my/").content.decode()
    for page in (staff, own):
        assert "公示中的严重失信行政处罚" in page and "严重失信" in page
    assert client_for(subject_user).get(f"/evaluation/subjects/{subject.pk}/").status_code == 403
    assert SubjectGrade.objects.get(subject=subject).grade == "D"
    assert InspectionTask.objects.count() == 0

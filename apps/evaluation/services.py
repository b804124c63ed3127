"""Evaluation workflows: the nightly run, the provincial import and 双随机 sampling."""

import datetime
import math
import random
import secrets
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.catalog.normalise import header_key, parse_date
from apps.records.intake.guards import SpreadsheetRefused, UploadError
from apps.records.intake.reader import read_sheet
from apps.records.intake.rows import UPLOADS, check_name_and_size, extension_of
from apps.subjects.codes import normalise_code
from apps.subjects.models import Subject

from .choices import SampleBasis
from .engine import evaluate_all
from .models import (
    EvaluationRun,
    InspectionSample,
    InspectionTask,
    ProvincialGrade,
    ProvincialImport,
    ScoringModel,
    SupervisionPolicy,
)
from .supervision import sampled_this_year

__all__ = ["evaluation_run", "inspection_task_draw", "provincial_grades_import"]


def evaluation_run(*, on: datetime.date | None = None, method: str | None = None) -> EvaluationRun:
    return evaluate_all(on=on, method=method)


# --- provincial results -------------------------------------------------------------------

PROVINCIAL_HEADERS = {
    "统一社会信用代码": "uscc",
    "信用等级": "grade",
    "评价日期": "evaluated_on",
    "有效期至": "valid_until",
}


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_date(value)  # a date cell: Excel's serial day number
    return datetime.date.fromisoformat(str(value).strip()[:10])


# The header is looked for in the first rows, as in every other spreadsheet input (a title above it is common).
HEADER_SCAN_ROWS = 10


def _provincial_header(rows) -> int:
    """Position in ``rows`` of the header: the first of the first rows naming 统一社会信用代码 (else the first row)."""
    wanted = header_key("统一社会信用代码")
    for at, (number, values) in enumerate(rows):
        if number > HEADER_SCAN_ROWS:
            break
        if any(header_key(v) == wanted for v in values if isinstance(v, str)):
            return at
    return 0


def provincial_grades_import(*, file, original_name: str, user, today: datetime.date | None = None):
    """Read the province's result (.xlsx or .csv: 统一社会信用代码, 信用等级, 评价日期, 有效期至); all problems at once."""
    today = today or timezone.localdate()
    model = ScoringModel.objects.in_force(on=today)
    codes = {g["code"] for g in model.grades} if model else set()
    labels = {g["label"]: g["code"] for g in model.grades} if model else {}
    size = getattr(file, "size", None)
    try:
        check_name_and_size(original_name, size, UPLOADS)  # .xlsx or .csv, within the upload size limit
    except UploadError as exc:
        raise ValidationError(exc.messages) from exc
    try:
        # The platform's one guarded reader (zip-bomb limits), read whole here: the import is all or nothing.
        rows = [(row.number, row.values) for row in read_sheet(file, original_name, UPLOADS, size=size)]
    except SpreadsheetRefused as exc:
        raise ValidationError(exc.messages) from exc
    except UploadError as exc:
        if extension_of(original_name) == ".xlsx":  # anything else unreadable is the same answer to the user
            raise ValidationError("文件不是有效的 .xlsx 工作簿。") from exc
        raise ValidationError(exc.messages) from exc
    header_at = _provincial_header(rows)
    header = [str(h or "").strip() for h in (rows[header_at][1] if rows else [])]
    by_key = {header_key(h): h for h in PROVINCIAL_HEADERS}
    header = [by_key.get(header_key(h), h) for h in header]
    missing = [h for h in PROVINCIAL_HEADERS if h not in header and h != "有效期至"]
    if missing:
        raise ValidationError(f"表头缺少：{'、'.join(missing)}。")
    index = {PROVINCIAL_HEADERS[h]: i for i, h in enumerate(header) if h in PROVINCIAL_HEADERS}
    parsed, problems = [], []
    for number, row in rows[header_at + 1 :]:
        if not any(v not in (None, "") for v in row):
            continue

        def get(key, row=row):
            return row[index[key]] if key in index and index[key] < len(row) else None

        uscc = normalise_code(str(get("uscc") or ""))
        grade = str(get("grade") or "").strip()
        grade = labels.get(grade, grade)
        row_problems = []
        if grade not in codes:
            row_problems.append(f"信用等级“{grade}”不在评价模型的等级中（{'、'.join(sorted(codes))}）")
        try:
            evaluated_on = _as_date(get("evaluated_on"))
            valid_until = _as_date(get("valid_until"))
            if evaluated_on is None:
                row_problems.append("评价日期必填")
        except ValueError:
            row_problems.append("日期格式应为 YYYY-MM-DD")
            evaluated_on = valid_until = None
        parsed.append((number, uscc, grade, evaluated_on, valid_until, row_problems))
    subjects = dict(Subject.objects.filter(uscc__in=[p[1] for p in parsed]).values_list("uscc", "pk"))
    first_row = {}
    for number, uscc, _grade, _e, _v, row_problems in parsed:
        if uscc not in subjects:
            row_problems.insert(0, f"平台中没有统一社会信用代码为“{uscc}”的主体")
        elif uscc in first_row:
            row_problems.insert(0, f"与第{first_row[uscc]}行是同一主体（每个主体只能有一行）")
        first_row.setdefault(uscc, number)
        if row_problems:
            problems.append(f"第{number}行：" + "；".join(row_problems) + "。")
    if problems:
        raise ValidationError(problems)
    if not parsed:
        raise ValidationError("文件中没有数据行。")
    with transaction.atomic():
        batch = ProvincialImport.objects.create(original_name=original_name, imported_by=user, rows=len(parsed))
        for _n, uscc, grade, evaluated_on, valid_until, _p in parsed:
            ProvincialGrade.objects.update_or_create(
                subject_id=subjects[uscc],
                defaults={"grade": grade, "evaluated_on": evaluated_on, "valid_until": valid_until, "batch": batch},
            )
    return batch


# --- 双随机 sampling --------------------------------------------------------------------------


def task_population(task: InspectionTask):
    """Subjects the task may draw from (its population filter), ordered by id for reproducibility."""
    filt = task.population_filter or {}
    qs = Subject.objects.all()
    if filt.get("kinds"):
        qs = qs.filter(kind__in=filt["kinds"])
    if filt.get("operating_only", True):
        qs = qs.operating()
    if filt.get("region_code"):
        qs = qs.filter(region_code=filt["region_code"])
    if filt.get("grades"):
        wanted = list(filt["grades"])
        q = Q(grade__grade__in=[g for g in wanted if g])
        if "" in wanted:
            q |= Q(grade__isnull=True)
        qs = qs.filter(q)
    return qs.order_by("pk")


def _factors(policy: SupervisionPolicy, field) -> dict:
    factors = {str(k): float(v) for k, v in policy.grade_factors.items()}
    if field.is_special:
        # Special fields (vaccines, drugs, special equipment, hazardous chemicals): no reductions.
        factors = {k: max(v, 1.0) for k, v in factors.items()}
    return factors


def _allocate(total: int, weights: dict, caps: dict) -> dict:
    """Largest-remainder allocation of ``total`` over strata by weight, never more than a stratum holds."""
    alloc = dict.fromkeys(weights, 0)
    remaining, open_ = total, {k for k in weights if caps[k] > 0 and weights[k] > 0}
    while remaining > 0 and open_:
        weight_sum = sum(weights[k] for k in open_)
        shares = {k: remaining * weights[k] / weight_sum for k in open_}
        step = {k: min(int(math.floor(shares[k])), caps[k] - alloc[k]) for k in open_}
        given = sum(step.values())
        if given == 0:
            for k in sorted(open_, key=lambda k: (-(shares[k] - math.floor(shares[k])), k)):
                if remaining == 0:
                    break
                if alloc[k] < caps[k]:
                    alloc[k] += 1
                    remaining -= 1
        else:
            for k, v in step.items():
                alloc[k] += v
            remaining -= given
        open_ = {k for k in open_ if alloc[k] < caps[k]}
    return alloc


def inspection_task_draw(*, task: InspectionTask, user, seed: int | None = None) -> InspectionTask:
    """Draw the sample: strata by grade, per-grade factors and yearly caps from policy, seeded and recorded.

    Graded supervision (淄博 #5): a grade whose factor is 0 (诚信守法) is not drawn outside special fields;
    a grade with a yearly cap (轻微失信, 一般失信) loses the subjects already drawn that many times this
    year, by any department, again outside special fields. Both are reported per stratum.
    """
    if task.drawn_at:
        raise ValidationError("该任务已抽取，抽取结果不可更改。")
    today = timezone.localdate()
    policy = SupervisionPolicy.in_force(on=today)
    factors = _factors(policy, task.field)
    population = list(task_population(task).values_list("pk", "grade__grade"))
    if not population:
        raise ValidationError("抽查对象范围内没有主体。")
    strata = defaultdict(list)
    for pk, grade in population:
        strata[grade or ""].append(pk)
    capped = dict.fromkeys(strata, 0)
    if not task.field.is_special:
        capped_grades = [g for g in strata if policy.yearly_cap(g)]
        counts = sampled_this_year(grades=capped_grades, on=today)
        for grade in capped_grades:
            cap = policy.yearly_cap(grade)
            kept = [pk for pk in strata[grade] if counts.get(pk, 0) < cap]
            capped[grade] = len(strata[grade]) - len(kept)
            strata[grade] = kept

    def factor(grade):
        return factors.get(grade, factors.get("", 1.0))

    caps = {g: len(ids) for g, ids in strata.items()}
    weights = {g: len(ids) * factor(g) for g, ids in strata.items()}
    eligible = sum(caps[g] for g in strata if factor(g) > 0)
    if eligible == 0:
        raise ValidationError(
            "抽查对象范围内没有可抽取的主体：诚信守法类主体“非请勿扰”，轻微失信、一般失信类主体本年度已接受随机联合检查。"
        )
    if task.basis == SampleBasis.SIZE:
        if task.size > eligible:
            raise ValidationError(
                f"抽查数量（{task.size}）大于可抽取的主体数（{eligible}，对象总数 {len(population)}），"
                "请减少抽查数量或扩大对象范围。"
            )
        alloc = _allocate(task.size, weights, caps)
    else:
        rate = float(task.rate)
        if not 0 < rate <= 1:
            raise ValidationError("抽查比例应大于 0 且不超过 100%。")
        alloc = {g: min(caps[g], math.ceil(rate * weights[g] - 1e-9)) for g in strata}
    seed = seed if seed is not None else secrets.randbits(62)
    rng = random.Random(seed)
    inspectors = list(task.inspectors or [])
    per = task.inspectors_per_subject
    if inspectors and len(inspectors) < per:
        raise ValidationError(f"执法检查人员不足：每户需 {per} 人，名录中只有 {len(inspectors)} 人。")
    samples, position, report = [], 0, []
    for grade in sorted(strata):
        chosen = rng.sample(strata[grade], alloc[grade])
        report.append(
            {
                "grade": grade,
                "tier": policy.tier(grade),
                "population": caps[grade] + capped[grade],
                "factor": factor(grade),
                "capped": capped[grade],
                "drawn": alloc[grade],
            }
        )
        for pk in sorted(chosen):
            position += 1
            team = rng.sample(inspectors, per) if inspectors else []
            samples.append(InspectionSample(task=task, subject_id=pk, grade=grade, inspectors=team, position=position))
    with transaction.atomic():
        task = InspectionTask.objects.select_for_update().get(pk=task.pk)
        if task.drawn_at:
            raise ValidationError("该任务已抽取，抽取结果不可更改。")
        InspectionSample.objects.bulk_create(samples)
        task.seed, task.policy, task.population_size = seed, policy, len(population)
        task.strata, task.drawn_at, task.drawn_by = report, timezone.now(), user if user and user.pk else None
        task.save()
    return task


def inspection_task_create(*, user, department, **fields) -> InspectionTask:
    task = InspectionTask(department=department, created_by=user, **fields)
    problems = []
    if task.basis == SampleBasis.SIZE and not task.size:
        problems.append("按数量抽取时必须填写抽查数量。")
    if task.basis == SampleBasis.RATE and (task.rate is None or not 0 < task.rate <= 1):
        problems.append("按比例抽取时抽查比例应大于 0 且不超过 100%。")
    if problems:
        raise ValidationError(problems)
    task.save()
    return task

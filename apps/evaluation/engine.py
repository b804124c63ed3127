"""The nightly evaluation of every subject.

PostgreSQL: set-based. One statement aggregates the indicator counts per
subject (``count(*) FILTER (…)`` over records, list entries and commitments,
each scanned once), scores and grades them into a temporary table; then one
``INSERT … SELECT`` writes grade history for the subjects whose grade changed
and one ``INSERT … ON CONFLICT DO UPDATE … WHERE changed`` refreshes the
current grades (unchanged rows are not rewritten). Nothing is loaded into
Python, so memory stays flat whatever the number of subjects.

Other databases (the embedded SQLite default): the same arithmetic
(``scoring.score_of``) in Python, chunk by chunk of subjects.
"""

import datetime

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.catalog.models import RecordType
from apps.commitments.models import Commitment
from apps.lists.choices import COUNTING_RECORD_STATUSES
from apps.lists.models import ListEntry
from apps.records.models import Record
from apps.subjects.models import Subject

from .choices import GradeSource, IndicatorSource, RunMethod, RunStatus
from .models import EvaluationRun, GradeChange, ProvincialGrade, ScoringModel, SubjectGrade, SupervisionPolicy
from .scoring import score_of
from .supervision import supervision_interviews_open

CHUNK = 5000


def _type_ids(filt) -> list[int] | None:
    """record_type / family codes → record type ids (None: no restriction)."""
    q = Q()
    restricted = False
    if filt.get("record_type"):
        q &= Q(code__in=filt["record_type"])
        restricted = True
    if filt.get("family"):
        q &= Q(family__in=filt["family"])
        restricted = True
    if not restricted:
        return None
    return list(RecordType.objects.filter(q).values_list("pk", flat=True)) or [-1]


# --- conditions as ORM Q (Python path) and SQL (set path) -------------------------------


def _record_q(filt, on) -> Q:
    q = Q()
    ids = _type_ids(filt)
    if ids is not None:
        q &= Q(record_type_id__in=ids)
    if filt.get("severity"):
        q &= Q(severity=filt["severity"])
    if filt.get("in_publicity"):
        q &= Q(is_publicised=True, publicity_start__lte=on, publicity_end__gte=on)
    return q


def _record_sql(filt, on, params) -> str:
    parts = ["TRUE"]
    ids = _type_ids(filt)
    if ids is not None:
        parts.append(f"r.record_type_id IN ({','.join(str(int(i)) for i in ids)})")
    if filt.get("severity"):
        parts.append("r.severity = %s")
        params.append(filt["severity"])
    if filt.get("in_publicity"):
        parts.append("r.is_publicised AND r.publicity_start <= %s AND r.publicity_end >= %s")
        params += [on, on]
    return " AND ".join(parts)


def _list_q(filt) -> Q:
    return Q(list_type__color=filt["color"]) if filt.get("color") else Q()


def _commitment_q(filt) -> Q:
    status = filt.get("status", "any")
    return Q() if status == "any" else Q(status=status)


def _run_start(model, on, method) -> EvaluationRun:
    return EvaluationRun.objects.create(model=model, on=on, method=method)


def _provincial_precedence(on) -> bool:
    try:
        return SupervisionPolicy.in_force(on=on).provincial_precedence
    except Exception:  # noqa: BLE001 — no policy yet: the model's grade stands
        return False


def evaluate_all(*, on: datetime.date | None = None, method: str | None = None) -> EvaluationRun:
    on = on or timezone.localdate()
    model = ScoringModel.objects.in_force(on=on)
    if model is None:
        raise ValueError(f"没有 {on} 适用的信用评价模型。")
    if method is None:
        method = RunMethod.SQL if connection.vendor == "postgresql" else RunMethod.PYTHON
    run = _run_start(model, on, method)
    try:
        if method == RunMethod.SQL:
            subjects, changed = _evaluate_sql(model, on, run)
        else:
            subjects, changed = _evaluate_python(model, on, run)
    except Exception as exc:
        EvaluationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    EvaluationRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, subjects=subjects, changed=changed, finished_at=timezone.now()
    )
    run.refresh_from_db()
    # Graded supervision follows the grades just written: grade 差 opens a 警示约谈 (平陆 #7).
    supervision_interviews_open(on=on, run=run)
    return run


# --- PostgreSQL: set-based --------------------------------------------------------------


def _evaluate_sql(model: ScoringModel, on, run) -> tuple[int, int]:
    rec_params, lst_params, cmt_params = [], [], []
    rec_cols, lst_cols, cmt_cols = [], [], []
    for ind in model.indicators:
        filt, code = ind.get("filter") or {}, ind["code"]
        if ind["source"] == IndicatorSource.RECORDS:
            rec_cols.append(f"count(*) FILTER (WHERE {_record_sql(filt, on, rec_params)}) AS {code}")
        elif ind["source"] == IndicatorSource.LISTS:
            cond = "TRUE"
            if filt.get("color"):
                cond = "lt.color = %s"
                lst_params.append(filt["color"])
            lst_cols.append(f"count(*) FILTER (WHERE {cond}) AS {code}")
        else:
            status = filt.get("status", "any")
            cond = "TRUE"
            if status != "any":
                cond = "c.status = %s"
                cmt_params.append(status)
            cmt_cols.append(f"count(*) FILTER (WHERE {cond}) AS {code}")
    ctes, params = [], []
    if rec_cols:
        params += rec_params
        ctes.append(
            "rec AS (SELECT r.subject_id, " + ", ".join(rec_cols) + " FROM records_record r"  # noqa: S608 — identifiers are validated indicator codes; values are parameters
            " WHERE r.subject_id IS NOT NULL AND r.status = 'published' AND NOT r.repaired GROUP BY r.subject_id)"
        )
    if lst_cols:
        params += lst_params
        # ListEntry.objects.active(on=…) in SQL.
        ctes.append(
            "lst AS (SELECT e.subject_id, " + ", ".join(lst_cols) + " FROM lists_listentry e"  # noqa: S608 — identifiers are validated indicator codes; values are parameters
            " JOIN lists_listtype lt ON lt.id = e.list_type_id JOIN records_record lr ON lr.id = e.record_id"
            " WHERE e.subject_id IS NOT NULL AND e.state = 'listed'"
            f" AND lr.status IN ({', '.join(['%s'] * len(COUNTING_RECORD_STATUSES))})"
            " AND NOT lr.repaired AND e.recognised_on <= %s AND (e.valid_until IS NULL OR e.valid_until >= %s)"
            " GROUP BY e.subject_id)"
        )
        params += [*COUNTING_RECORD_STATUSES, on, on]
    if cmt_cols:
        params += cmt_params
        ctes.append(
            "cmt AS (SELECT c.subject_id, " + ", ".join(cmt_cols) + " FROM commitments_commitment c"  # noqa: S608 — identifiers are validated indicator codes; values are parameters
            " GROUP BY c.subject_id)"
        )
    alias = {IndicatorSource.RECORDS: "rec", IndicatorSource.LISTS: "lst", IndicatorSource.COMMITMENTS: "cmt"}
    counts, terms, details = [], [], []
    for ind in model.indicators:
        code = ind["code"]
        col = f"COALESCE({alias[ind['source']]}.{code}, 0)"
        counts.append(f"{col} AS {code}")
        points, cap = int(ind["points"]), ind.get("cap")
        term = f"{code} * ({points})"
        if cap is not None:
            term = f"{'GREATEST' if points < 0 else 'LEAST'}({term}, {int(cap)})"
        terms.append(term)
        details.append(f"'{code}', NULLIF({code}, 0)")
    lo, hi = model.score_range
    score = f"LEAST(GREATEST({int(model.base_score)} + " + " + ".join(terms) + f", {int(lo)}), {int(hi)})"
    bands = " ".join("WHEN {s} BETWEEN %s AND %s THEN %s".format(s="score") for _ in model.grades)
    for g in model.grades:
        params += [g["min"], g["max"], g["code"]]
    joins = "".join(
        f" LEFT JOIN {a} ON {a}.subject_id = s.id"
        for a in ("rec", "lst", "cmt")
        if any(c.startswith(a + " ") for c in ctes)
    )
    precedence = _provincial_precedence(on)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS eval_scores")
        cur.execute(
            "CREATE TEMP TABLE eval_scores ON COMMIT DROP AS "  # noqa: S608 — identifiers are validated indicator codes; values are parameters
            + "WITH "
            + ", ".join(ctes)
            + ", counted AS (SELECT s.id AS subject_id, "
            + ", ".join(counts)
            + " FROM subjects_subject s"
            + joins
            + ")"
            + ", scored AS (SELECT subject_id, "
            + score
            + " AS score, jsonb_strip_nulls(jsonb_build_object("
            + ", ".join(details)
            + ")) AS details FROM counted)"
            + " SELECT subject_id, score, details, CASE "
            + bands
            + " END AS computed_grade FROM scored",
            params,
        )
        # Provincial results in force take precedence where the policy says so.
        cur.execute("ALTER TABLE eval_scores ADD COLUMN grade varchar(10), ADD COLUMN source varchar(12)")
        cur.execute("UPDATE eval_scores SET grade = computed_grade, source = %s", [GradeSource.MODEL])
        if precedence:
            cur.execute(
                "UPDATE eval_scores e SET grade = p.grade, source = %s FROM evaluation_provincialgrade p"
                " WHERE p.subject_id = e.subject_id AND p.evaluated_on <= %s"
                " AND (p.valid_until IS NULL OR p.valid_until >= %s)",
                [GradeSource.PROVINCIAL, on, on],
            )
        cur.execute("SELECT count(*) FROM eval_scores")
        subjects = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO evaluation_gradechange (subject_id, run_id, model_id, grade_from, grade_to, score, source,"
            " changed_at) SELECT e.subject_id, %s, %s, COALESCE(g.grade, ''), e.grade, e.score, e.source, %s"
            " FROM eval_scores e LEFT JOIN evaluation_subjectgrade g ON g.subject_id = e.subject_id"
            " WHERE g.grade IS DISTINCT FROM e.grade",
            [run.pk, model.pk, now],
        )
        changed = cur.rowcount
        cur.execute(
            "INSERT INTO evaluation_subjectgrade (subject_id, model_id, score, computed_grade, grade, source, details,"
            " run_id, changed_at) SELECT subject_id, %s, score, computed_grade, grade, source, details, %s, %s"
            " FROM eval_scores ON CONFLICT (subject_id) DO UPDATE SET model_id = EXCLUDED.model_id,"
            " score = EXCLUDED.score, computed_grade = EXCLUDED.computed_grade, grade = EXCLUDED.grade,"
            " source = EXCLUDED.source, details = EXCLUDED.details, run_id = EXCLUDED.run_id,"
            " changed_at = EXCLUDED.changed_at"
            " WHERE (evaluation_subjectgrade.model_id, evaluation_subjectgrade.score, evaluation_subjectgrade.grade,"
            " evaluation_subjectgrade.computed_grade, evaluation_subjectgrade.source, evaluation_subjectgrade.details)"
            " IS DISTINCT FROM (EXCLUDED.model_id, EXCLUDED.score, EXCLUDED.grade, EXCLUDED.computed_grade,"
            " EXCLUDED.source, EXCLUDED.details)",
            [model.pk, run.pk, now],
        )
    return subjects, changed


# --- any database: chunked Python -------------------------------------------------------


def counts_for(model: ScoringModel, subject_ids, on) -> dict[int, dict]:
    """Indicator counts per subject (one aggregate query per source for the chunk)."""
    result = {pk: {} for pk in subject_ids}
    by_source = {IndicatorSource.RECORDS: {}, IndicatorSource.LISTS: {}, IndicatorSource.COMMITMENTS: {}}
    for ind in model.indicators:
        filt = ind.get("filter") or {}
        if ind["source"] == IndicatorSource.RECORDS:
            q = _record_q(filt, on)
        elif ind["source"] == IndicatorSource.LISTS:
            q = _list_q(filt)
        else:
            q = _commitment_q(filt)
        by_source[ind["source"]][ind["code"]] = Count("pk", filter=q)
    querysets = {
        IndicatorSource.RECORDS: Record.objects.filter(subject_id__in=subject_ids, status="published", repaired=False),
        IndicatorSource.LISTS: ListEntry.objects.active(on=on).filter(subject_id__in=subject_ids),
        IndicatorSource.COMMITMENTS: Commitment.objects.filter(subject_id__in=subject_ids),
    }
    for source, aggregates in by_source.items():
        if not aggregates:
            continue
        for row in querysets[source].order_by().values("subject_id").annotate(**aggregates):
            result[row.pop("subject_id")].update({k: v for k, v in row.items() if v})
    return result


def _evaluate_python(model: ScoringModel, on, run) -> tuple[int, int]:
    precedence = _provincial_precedence(on)
    now = timezone.now()
    subjects = changed = 0
    last = 0
    while True:
        ids = list(Subject.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            break
        last = ids[-1]
        subjects += len(ids)
        counts = counts_for(model, ids, on)
        provincial = {}
        if precedence:
            provincial = {
                p.subject_id: p.grade
                for p in ProvincialGrade.objects.filter(subject_id__in=ids, evaluated_on__lte=on).filter(
                    Q(valid_until__isnull=True) | Q(valid_until__gte=on)
                )
            }
        existing = {g.subject_id: g for g in SubjectGrade.objects.filter(subject_id__in=ids)}
        new, updated, history = [], [], []
        with transaction.atomic():
            for pk in ids:
                score, computed, _ = score_of(model, counts[pk])
                grade = provincial.get(pk, computed)
                source = GradeSource.PROVINCIAL if pk in provincial else GradeSource.MODEL
                details = {k: v for k, v in counts[pk].items() if v}
                old = existing.get(pk)
                if old is None or old.grade != grade:
                    history.append(
                        GradeChange(
                            subject_id=pk,
                            run=run,
                            model=model,
                            grade_from=old.grade if old else "",
                            grade_to=grade,
                            score=score,
                            source=source,
                            changed_at=now,
                        )
                    )
                values = dict(
                    model=model, score=score, computed_grade=computed, grade=grade, source=source, details=details
                )
                if old is None:
                    new.append(SubjectGrade(subject_id=pk, run=run, changed_at=now, **values))
                elif any(getattr(old, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(old, k, v)
                    old.run, old.changed_at = run, now
                    updated.append(old)
            SubjectGrade.objects.bulk_create(new)
            SubjectGrade.objects.bulk_update(
                updated, ["model", "score", "computed_grade", "grade", "source", "details", "run", "changed_at"]
            )
            GradeChange.objects.bulk_create(history)
        changed += len(history)
    return subjects, changed

"""Running a table's rows into the records: the staged path where it can, the pipeline for the rest.

``import_table`` feeds the rows to ``records_ingest``'s pipeline (the same
one as the web form and the API), after the staged path (``staged.py``) has
stored the rows it can set-based. Used by web uploads and ``import_records``.
"""

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, OperationalError, reset_queries

from apps.catalog.choices import Role
from apps.catalog.normalise import clean_text
from apps.catalog.spec import Problem, TypeSpec

from ..choices import Outcome
from ..models import Upload
from ..outcomes import IngestSummary
from ..services import Ingest
from .guards import (
    UploadError,
)
from .rows import DAMAGED
from .staged import StagedImport, staged_available
from .table import Table

logger = logging.getLogger(__name__)

# --- the pipeline -------------------------------------------------------------------------


class SheetSpec(TypeSpec):
    """The catalog type, plus the reader's own findings (formula without value, merged cell…) as row problems."""

    def __init__(self, spec: TypeSpec):
        super().__init__(spec.record_type, spec.fields)

    def validate(self, raw, *, today):
        result = super().validate(raw, today=today)
        cell_problems = getattr(raw, "cell_problems", None)
        if cell_problems:
            # The reader's reason replaces whatever the empty or mangled value made the checks say.
            result.problems = [p for p in result.problems if p.field not in cell_problems]
            for code, message in cell_problems.items():
                result.values.pop(code, None)
                result.problems.append(Problem(code, self.by_code[code].label, message))
        merged = getattr(raw, "merged", None)
        if merged:
            for problem in result.problems:
                if problem.field in merged and problem.message.endswith("不能为空"):
                    problem.message += f"（该单元格在合并单元格 {merged[problem.field]} 中：合并区域只有左上角单元格有值，其余按空读取）"
        return result


def _lock_conflict(exc: OperationalError) -> bool:
    cause = getattr(exc, "__cause__", None)
    return type(cause).__name__ in ("DeadlockDetected", "SerializationFailure", "LockNotAvailable")


class RetryingIngest(Ingest):
    """The pipeline, with one retry of a batch that lost a race.

    Two uploads of the same rows at the same time both find no record and both
    insert; the second insert waits for the first transaction and then fails
    on the (department, type, document number) constraint. Running that batch
    again sees the committed records, so its rows become duplicates, and both
    uploads end in the same state.
    """

    def _batch(self, rows, severity):
        known = len(self.seen_keys)
        try:
            return super()._batch(rows, severity)
        except (IntegrityError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not _lock_conflict(exc):
                raise
            logger.info("批次与并发导入冲突，重试一次：%s", exc)
            # Forget the document numbers this batch added (the last ones in the dict) so it starts as before.
            for key in list(itertools.islice(reversed(self.seen_keys), len(self.seen_keys) - known)):
                del self.seen_keys[key]
            return super()._batch(rows, severity)


@dataclass
class Progress:
    processed: int = 0
    accepted: int = 0
    updated: int = 0
    rejected: int = 0
    duplicates: int = 0
    rejected_rows: list[dict] = field(default_factory=list)
    warned: int = 0  # stored rows with notes for the clerk; the first UPLOAD_MAX_WARNED_ROWS are listed
    warned_rows: list[dict] = field(default_factory=list)

    def as_dict(self):
        return {"accepted": self.accepted + self.updated, "rejected": self.rejected, "duplicates": self.duplicates}


def import_table(
    table: Table,
    *,
    department,
    source: str,
    actor=None,
    actor_label: str = "",
    upload: Upload | None = None,
    today=None,
    on_progress: Callable[[Progress], None] | None = None,
) -> tuple[Progress, IngestSummary]:
    """Run every data row of ``table`` through the pipeline; rejected rows are collected with their problems."""
    spec = SheetSpec(table.spec)
    number_field = spec.field_code(Role.DECISION_NUMBER)
    ingest = RetryingIngest(
        record_type=spec,
        department=department,
        source=source,
        actor=actor,
        actor_label=actor_label,
        upload=upload,
        today=today,
    )
    progress = Progress()
    warned_limit = settings.UPLOAD_MAX_WARNED_ROWS
    pending: dict[int, str] = {}  # row → document number as written, until its batch is done

    def rows(source):
        for number, row in source:
            pending[number] = clean_text(row.get(number_field)) if number_field else ""
            yield number, row

    def on_batch(new: list):
        for outcome in new:
            number = pending.pop(outcome.row_number, "")
            if outcome.warnings and outcome.outcome != Outcome.REJECTED:
                progress.warned += 1
            if outcome.warnings and outcome.outcome != Outcome.REJECTED and progress.warned <= warned_limit:
                progress.warned_rows.append(
                    {
                        "row": outcome.row_number,
                        "decision_number": outcome.decision_number or number,
                        "outcome": outcome.outcome,
                        "warnings": [
                            {"field": p.field, "label": p.label, "message": p.message} for p in outcome.warnings
                        ],
                    }
                )
            if outcome.outcome == Outcome.ACCEPTED:
                progress.accepted += 1
            elif outcome.outcome == Outcome.UPDATED:
                progress.updated += 1
            elif outcome.outcome == Outcome.DUPLICATE:
                progress.duplicates += 1
            else:
                progress.rejected += 1
                progress.rejected_rows.append(
                    {
                        "row": outcome.row_number,
                        "decision_number": outcome.decision_number or number,
                        "problems": [
                            {"field": p.field, "label": p.label, "message": p.message} for p in outcome.problems
                        ],
                        "warnings": [
                            {"field": p.field, "label": p.label, "message": p.message} for p in outcome.warnings
                        ],
                    }
                )
        progress.processed += len(new)
        # With DEBUG on, Django keeps every query's SQL (a batch insert is megabytes): memory would grow with N.
        reset_queries()
        if on_progress:
            on_progress(progress)

    if not staged_available(ingest):
        summary = ingest.run(rows((r.row_number, r) for r in table.records()), on_batch=on_batch, keep_outcomes=False)
        return progress, summary

    def on_chunk(accepted: int, duplicates: int):
        progress.accepted += accepted
        progress.duplicates += duplicates
        progress.processed += accepted + duplicates
        if on_progress:
            on_progress(progress)

    staged = StagedImport(ingest, read_errors=(*DAMAGED, UploadError))
    try:
        # The rows the staged path stores go straight in; the rest — rejected or unusual — through the pipeline.
        leftovers = staged.run(table, on_chunk=on_chunk)
        summary = ingest.run(rows(leftovers), on_batch=on_batch, keep_outcomes=False)
    finally:
        staged.drop()
    if staged.read_error is not None:
        raise staged.read_error  # after keeping every row read before the damage
    return progress, summary


def read_failure_message(exc: Exception, processed: int) -> str:
    if isinstance(exc, UploadError):
        reason = str(exc)
    elif isinstance(exc, FileNotFoundError):
        reason = "服务器上找不到上传的文件，请重新上传"
    elif isinstance(exc, DAMAGED):
        reason = "文件内容已损坏，无法继续读取（请在 Excel 或 WPS 中打开后重新保存）"
    elif isinstance(exc, UnicodeDecodeError):
        reason = "文件中有无法识别的字符编码"
    else:
        reason = "处理时发生内部错误，已记录日志，请联系信用中心"
    kept = f"此前已处理的 {processed} 行结果已保存。" if processed else ""
    return f"导入中断：{reason}。{kept}"

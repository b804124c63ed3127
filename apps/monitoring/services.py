"""Monthly ranking, its snapshots and export, 零报告 declarations, and the scorecard's entries by hand."""

import hashlib
import io
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.catalog.choices import Family
from apps.records.export import neutralise as export_neutralise
from apps.records.models import ZeroReport
from apps.repair.materials import material_check

from . import selectors
from .choices import ScoreRule
from .manual import deduction_items
from .measuring import Period
from .models import ManualEntry, RankingSnapshot
from .scorecard import scorecard_rows_for_export
from .selectors import SCORE_FORMULA, Cells, Figures, Month

RANKING_VERSION = 1


# --- Ranking ------------------------------------------------------------------------


def _sort_key(row: dict):
    def desc(value):
        return -(value if value is not None else -1)

    return (
        not row["participated"],
        desc(row["score"]),
        desc(row["reporting_rate"]),
        desc(row["timely_rate"]),
        desc(row["compliance_rate"]),
        -row["reported"],
        row["department_code"],
    )


def _type_row(record_type, figures: Figures) -> dict:
    return {
        "type_code": record_type.code,
        "type_name": record_type.name,
        "family": record_type.family,
        "family_name": Family(record_type.family).label,
    } | figures.as_dict()


def ranking_build(month: Month, *, cells: Cells | None = None) -> dict:
    """The ranking of ``month`` from the live figures (JSON-ready, as snapshots store it)."""
    cells = cells or selectors.month_figures(months=[month])
    rows = []
    for department_id in cells.department_ids(month):
        department = cells.departments[department_id]
        figures = cells.department(department_id, month)
        if not figures.expected and not figures.participated:
            continue
        rows.append(
            {"department_code": department.code, "department_name": department.name, "rank": None} | figures.as_dict()
        )
    rows.sort(key=_sort_key)
    # Competition ranking ("1, 2, 2, 4") on the score; departments without a
    # score share the last place.
    scored = [row for row in rows if row["score"] is not None]
    for position, row in enumerate(scored, start=1):
        previous = scored[position - 2] if position > 1 else None
        row["rank"] = previous["rank"] if previous and previous["score"] == row["score"] else position
    for row in rows:
        if row["score"] is None:
            row["rank"] = len(scored) + 1
    by_type = [_type_row(cells.record_types[t], cells.record_type(t, month)) for t in cells.type_ids(month)]
    families = []
    for family in Family:
        if any(row["family"] == family.value for row in by_type):
            families.append(
                {"family": family.value, "family_name": family.label} | cells.family(family, month).as_dict()
            )
    return {
        "version": RANKING_VERSION,
        "month": month.param,
        "computed_at": timezone.now().isoformat(),
        "formula": SCORE_FORMULA,
        "rows": rows,
        "by_type": by_type,
        "by_family": families,
        "total": cells.total(month).as_dict(),
    }


def ranking_for(month: Month) -> tuple[dict, RankingSnapshot | None]:
    """What the ranking page shows: the frozen snapshot if there is one, else live figures."""
    snapshot = RankingSnapshot.objects.select_related("published_by", "created_by").filter(month=month.first).first()
    if snapshot is not None:
        return snapshot.data, snapshot
    return ranking_build(month), None


def ranking_snapshot_take(month: Month, *, user=None) -> tuple[RankingSnapshot, bool]:
    """Freeze ``month``'s ranking (idempotent: an existing snapshot is returned unchanged)."""
    if not month.has_ended():
        raise ValidationError(f"{month.label}尚未结束，月末后才能生成排名快照。")
    existing = RankingSnapshot.objects.filter(month=month.first).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            snapshot = RankingSnapshot.objects.create(
                month=month.first, data=ranking_build(month), created_by=user if getattr(user, "pk", None) else None
            )
    except IntegrityError:  # taken concurrently by the monthly task or another user
        return RankingSnapshot.objects.get(month=month.first), False
    return snapshot, True


def ranking_publish(month: Month, *, user) -> tuple[RankingSnapshot, bool]:
    """Publish ``month``'s ranking. Uses the month-end snapshot if the monthly task
    already took it, else takes it now; a published ranking never changes.
    Returns ``(snapshot, newly_published)``."""
    if not getattr(user, "is_center", False) and not getattr(user, "is_superuser", False):
        raise PermissionDenied("仅信用中心可以发布排名。")
    snapshot, _created = ranking_snapshot_take(month, user=user)
    with transaction.atomic():
        snapshot = RankingSnapshot.objects.select_for_update().get(pk=snapshot.pk)
        if snapshot.is_published:
            return snapshot, False
        snapshot.published_at = timezone.now()
        snapshot.published_by = user
        snapshot.save(update_fields=["published_at", "published_by"])
    return snapshot, True


# --- Excel export ---------------------------------------------------------------------

# One rule for every spreadsheet the platform writes.
neutralise = export_neutralise


def _percent(value):
    return None if value is None else value / 100


def ranking_xlsx(data: dict, *, month: Month, snapshot: RankingSnapshot | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "部门排名"
    if snapshot is not None and snapshot.is_published:
        state = f"已发布（{timezone.localtime(snapshot.published_at):%Y-%m-%d %H:%M}）"
    elif snapshot is not None:
        state = f"月末快照，待发布（{timezone.localtime(snapshot.created_at):%Y-%m-%d %H:%M}）"
    else:
        state = f"实时数据，未发布（{timezone.localtime():%Y-%m-%d %H:%M} 导出）"
    sheet.append([f"{month.label}部门信用信息报送排名"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([state])
    headers = [
        "排名",
        "部门",
        "部门代码",
        "综合得分",
        "上报率",
        "应报类型数",
        "已报类型数（含零报告）",
        "零报告数",
        "及时率",
        "应计时效记录数",
        "按时公示数",
        "合规率",
        "报送条数",
        "合规条数",
    ]
    sheet.append(headers)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in data["rows"]:
        sheet.append(
            [
                row["rank"],
                neutralise(row["department_name"]),
                neutralise(row["department_code"]),
                row["score"],
                _percent(row["reporting_rate"]),
                row["expected"],
                row["covered"],
                row["zero"],
                _percent(row["timely_rate"]),
                row.get("judged", row["reported"]),
                row["timely"],
                _percent(row["compliance_rate"]),
                row["submitted"],
                row["compliant"],
            ]
        )
    total = data["total"]
    sheet.append(
        [
            "合计",
            "",
            "",
            None,
            _percent(total["reporting_rate"]),
            total["expected"],
            total["covered"],
            total["zero"],
            _percent(total["timely_rate"]),
            total.get("judged", total["reported"]),
            total["timely"],
            _percent(total["compliance_rate"]),
            total["submitted"],
            total["compliant"],
        ]
    )
    for row in sheet.iter_rows(min_row=header_row + 1):
        for index in (4, 8, 11):  # rate columns (0-based)
            row[index].number_format = "0.00%"
        row[3].number_format = "0.00"
    for column, width in zip("ABCDEFGHIJKLMN", (6, 32, 14, 10, 10, 10, 12, 10, 10, 10, 10, 10, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.append([])
    sheet.append([neutralise(data["formula"])])

    by_type = workbook.create_sheet("分类型")
    by_type.append(
        [
            "信息类别",
            "信息类型",
            "应报部门数",
            "已报部门数（含零报告）",
            "上报率",
            "报送记录数",
            "按时公示数",
            "及时率",
            "报送条数",
            "合规条数",
            "合规率",
        ]
    )
    for cell in by_type[1]:
        cell.font = Font(bold=True)
    for row in data["by_type"]:
        by_type.append(
            [
                neutralise(row["family_name"]),
                neutralise(row["type_name"]),
                row["expected"],
                row["covered"],
                _percent(row["reporting_rate"]),
                row["reported"],
                row["timely"],
                _percent(row["timely_rate"]),
                row["submitted"],
                row["compliant"],
                _percent(row["compliance_rate"]),
            ]
        )
    for row in by_type.iter_rows(min_row=2):
        for index in (4, 7, 10):
            row[index].number_format = "0.00%"
    for column, width in zip("ABCDEFGHIJK", (16, 18, 10, 12, 10, 10, 10, 10, 10, 10, 10), strict=True):
        by_type.column_dimensions[column].width = width

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- 零报告 -----------------------------------------------------------------------------


def zero_report_declare(*, user, record_type, month: Month | None = None) -> tuple[ZeroReport, bool]:
    """Declare that ``user``'s department has nothing of ``record_type`` to report this month.

    Refused for a type the department holds no power for, and when records of the
    type were already reported this month. Idempotent: declaring twice returns the
    first declaration. Returns ``(zero_report, created)``.
    """
    month = month or Month.current()
    department = getattr(user, "department", None)
    if not getattr(user, "is_clerk", False) or department is None:
        raise PermissionDenied("只有部门填报员可以作零报告。")
    if month != Month.current():
        raise ValidationError("只能为本月作零报告。")
    if not selectors.reportable_types(department).filter(pk=record_type.pk).exists():
        raise ValidationError(f"本部门不承担“{record_type.name}”的报送职责，无需作零报告。")
    existing = ZeroReport.objects.filter(department=department, record_type=record_type, month=month.first).first()
    if existing is not None:
        return existing, False
    if selectors.reported_in_month(department=department, record_type=record_type, month=month):
        raise ValidationError(f"本部门{month.label}已报送“{record_type.name}”记录，不能再作零报告。")
    try:
        with transaction.atomic():
            return (
                ZeroReport.objects.create(
                    department=department, record_type=record_type, month=month.first, declared_by=user
                ),
                True,
            )
    except IntegrityError:  # declared at the same moment by a colleague
        return ZeroReport.objects.get(department=department, record_type=record_type, month=month.first), False


# --- Self-assessment scorecard ------------------------------------------------------------


def scorecard_xlsx(card) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "自评得分"
    sheet.append([f"社会信用体系建设自评（截至 {card.on:%Y-%m-%d}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    for row in scorecard_rows_for_export(card):
        sheet.append([export_neutralise(v) if isinstance(v, str) else v for v in row])
    for column, width in zip("ABCDEFGHIJK", (24, 22, 30, 50, 8, 8, 40, 40, 24, 40, 80), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def manual_entry_record(*, user, indicator, month: Month, note: str, uploaded, points=None, item: str = ""):
    """Enter a score (人工评分 line) or a deduction (扣分事项 line) with its evidence, for the credit center.

    The evidence is checked by content like repair materials (PDF, JPG, PNG). A deduction's points follow
    the item in the scoring table: fixed items deduct their points for each month they run (报送材料弄虚作假:
    3 months × 2), the 医疗 item takes what staff enter up to its cap. Nothing is written on any problem.
    """
    if not (getattr(user, "is_center", False) or getattr(user, "is_superuser", False)):
        raise PermissionDenied("仅信用中心可以录入人工评分和扣分事项。")
    problems = []
    period = Period.ending(timezone.localdate())
    if month.first > period.last or month.first < period.first:
        problems.append(f"所属月份应在本创建期内（{period.label}）。")
    note = (note or "").strip()
    if not note:
        problems.append("请填写说明（评分依据或扣分事由）。")
    try:
        points = None if points in (None, "") else Decimal(str(points))
    except InvalidOperation:
        problems.append("分数应为数字。")
        points = None
    if indicator.rule == ScoreRule.MANUAL:
        item = ""
        if points is None:
            problems.append("请填写得分。")
        elif not (0 <= points <= indicator.points):
            problems.append(f"得分应在 0 到 {indicator.points} 之间。")
    elif indicator.rule == ScoreRule.DEDUCTION:
        spec = deduction_items(indicator).get(item)
        if spec is None:
            problems.append("请选择扣分事项。")
        elif "points" in spec:
            points = Decimal(str(spec["points"])) * int(spec.get("months", 1))
        elif points is None or not (0 < points <= Decimal(str(spec["max"]))):
            problems.append(f"“{spec['name']}”扣分应大于 0 且不超过 {spec['max']} 分。")
    else:
        problems.append(f"“{indicator.name}”由数据计算，不能人工录入。")
    checked = None
    if uploaded is None:
        problems.append("请上传佐证材料（PDF、JPG、PNG）。")
    else:
        checked, file_problems = material_check(uploaded)
        problems += file_problems
    if problems:
        raise ValidationError(problems)
    entry = ManualEntry(
        code=indicator.code,
        item=item,
        month=month.first,
        points=points,
        note=note[:2000],
        original_name=checked.name,
        content_type=checked.content_type,
        extension=checked.extension,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        entered_by=user,
    )
    entry.file.save(f"evidence{checked.extension}", ContentFile(checked.data), save=False)
    entry.save()
    return entry

"""Department rates (上报率, 及时率, 合规率) per department, record type and month.

Everything is counted in the database with four grouped queries, however
many records there are (DOMAIN.md §4):

1. the (department, record type) pairs that must report: active departments
   holding the power (``RecordType.power``) of an active record type;
2. records reported per (department, type, month) — by the local
   (Asia/Shanghai) month of ``reported_at``, drafts and revoked records
   excluded — with ``COUNT(*) FILTER (WHERE timely)``;
3. submissions (every row received by any intake path) per (department,
   type, month): the sums of the intake runs' batch counts (``SubmissionBatch``
   rows / compliant; only rejected rows are kept one by one);
4. 零报告 declarations of those months.

Python then only adds up these per-cell counts (a few hundred cells for a
county) into department, type, family and total rows; it never sees a record.

Definitions, for a month:

- 上报率 = (department, type) pairs that reported at least one record or
  declared 零报告 / pairs that must report. For a type this is "departments
  holding the power that reported / departments holding the power"; for a
  department, "its types reported / its types".
- 及时率 = records published on time / records whose timeliness is known:
  published ones (``timely`` is judged on ``published_at``, so a department's
  review before publishing counts against its deadline — seed 003 按时上网公示)
  and ones still waiting for review past their deadline (already late).
- 合规率 = compliant rows / all rows received (sum of the batches' counts).
"""

import datetime
from collections import defaultdict
from dataclasses import asdict, dataclass, fields

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.accounts.models import Department
from apps.catalog.models import RecordType
from apps.records.choices import Status
from apps.records.models import Record, Submission, SubmissionBatch, ZeroReport

# Records that count as "reported": they reached the platform (drafts did not;
# revoked records were withdrawn as wrong).
REPORTED_STATUSES = (Status.PUBLISHED, Status.EXPIRED, Status.PENDING_REVIEW)


# --- Months -----------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in local time (Asia/Shanghai), identified by its first day."""

    first: datetime.date

    @classmethod
    def of(cls, day: datetime.date) -> "Month":
        return cls(day.replace(day=1))

    @classmethod
    def current(cls) -> "Month":
        return cls.of(timezone.localdate())

    @classmethod
    def parse(cls, text: str) -> "Month":
        """``YYYY-MM`` → Month; ``ValueError`` for anything else."""
        text = (text or "").strip()
        year, sep, month = text.partition("-")
        if not (sep and year.isdigit() and month.isdigit() and len(year) == 4 and 1 <= len(month) <= 2) or not (
            1 <= int(month) <= 12 and int(year) >= 1900
        ):
            raise ValueError("月份格式应为 YYYY-MM，如 2024-10。")
        return cls(datetime.date(int(year), int(month), 1))

    @property
    def next(self) -> "Month":
        return Month(
            self.first.replace(year=self.first.year + 1, month=1)
            if self.first.month == 12
            else self.first.replace(month=self.first.month + 1)
        )

    @property
    def previous(self) -> "Month":
        return Month.of(self.first - datetime.timedelta(days=1))

    @property
    def start(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.first, datetime.time.min))

    @property
    def end(self) -> datetime.datetime:
        return self.next.start

    @property
    def param(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.first.year}年{self.first.month}月"

    def has_ended(self, now=None) -> bool:
        return (now or timezone.now()) >= self.end

    def __str__(self):
        return self.param


def last_months(count: int, *, until: Month | None = None) -> list[Month]:
    """``count`` months ending with ``until`` (default: this month), oldest first."""
    month = until or Month.current()
    months = [month]
    for _ in range(count - 1):
        month = month.previous
        months.append(month)
    return months[::-1]


# --- Figures ----------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


@dataclass
class Figures:
    """Counts for one cell or any sum of cells, and the rates derived from them."""

    expected: int = 0  # (department, type) pairs that must report
    covered: int = 0  # … of which reported a record or declared 零报告
    zero: int = 0  # … of which declared 零报告
    reported: int = 0  # records reported in the month
    judged: int = 0  # … of which published, or still unpublished past their deadline (certainly late)
    timely: int = 0  # … of which published on time (按时上网公示)
    submitted: int = 0  # rows received in the month (every intake path)
    compliant: int = 0  # … of which compliant

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def reporting_rate(self) -> float | None:
        return _rate(self.covered, self.expected)

    @property
    def timely_rate(self) -> float | None:
        return _rate(self.timely, self.judged)

    @property
    def compliance_rate(self) -> float | None:
        return _rate(self.compliant, self.submitted)

    @property
    def late(self) -> int:
        return self.judged - self.timely

    @property
    def non_compliant(self) -> int:
        return self.submitted - self.compliant

    @property
    def missing(self) -> int:
        return self.expected - self.covered

    @property
    def participated(self) -> bool:
        """Reported something, sent any row, or declared 零报告 this month."""
        return bool(self.reported or self.submitted or self.zero)

    @property
    def score(self) -> float | None:
        """综合得分: the mean of the rates that have a denominator this month."""
        if not self.participated:
            return None
        rates = [r for r in (self.reporting_rate, self.timely_rate, self.compliance_rate) if r is not None]
        return round(sum(rates) / len(rates), 2) if rates else None

    def as_dict(self) -> dict:
        return asdict(self) | {
            "reporting_rate": self.reporting_rate,
            "timely_rate": self.timely_rate,
            "compliance_rate": self.compliance_rate,
            "score": self.score,
            "participated": self.participated,
        }


SCORE_FORMULA = (
    "综合得分 = 上报率、及时率、合规率三项中当月有统计基数的各项的算术平均（满分 100）。"
    "上报率 = 已报送或已作零报告的（部门, 信息类型）数 / 依职权应报送的（部门, 信息类型）数；"
    "及时率 = 在规定时限（默认为决定日期后 7 个工作日）内上网公示的记录数 / 当月报送的记录中已公示或已超期未公示的记录数"
    "（部门审核后公示的，以审核通过、上网公示之日计）；"
    "合规率 = 全部校验通过的报送条数 / 当月报送的全部条数（含被拒收的条目）。"
    "当月既未报送任何记录或条目、也未作零报告的部门不计得分，排在最后。"
    "得分相同的，依次比较上报率、及时率、合规率、报送记录数。"
)


@dataclass
class Cells:
    """Per (department id, record type id, month) figures, and their sums."""

    months: list[Month]
    cells: dict[tuple[int, int, datetime.date], Figures]
    departments: dict[int, Department]
    record_types: dict[int, RecordType]

    def _sum(self, predicate) -> Figures:
        total = Figures()
        for key, figures in self.cells.items():
            if predicate(*key):
                total += figures
        return total

    def department(self, department_id: int, month: Month) -> Figures:
        return self._sum(lambda d, t, m: d == department_id and m == month.first)

    def record_type(self, type_id: int, month: Month, department_id: int | None = None) -> Figures:
        return self._sum(
            lambda d, t, m: t == type_id and m == month.first and (department_id is None or d == department_id)
        )

    def family(self, family: str, month: Month) -> Figures:
        return self._sum(lambda d, t, m: self.record_types[t].family == family and m == month.first)

    def total(self, month: Month) -> Figures:
        return self._sum(lambda d, t, m: m == month.first)

    def type_ids(self, month: Month, department_id: int | None = None) -> list[int]:
        """Types that must be reported or had activity, in catalog order."""
        ids = {t for d, t, m in self.cells if m == month.first and (department_id is None or d == department_id)}
        return sorted(ids, key=lambda t: (self.record_types[t].sort_order, self.record_types[t].code))

    def department_ids(self, month: Month) -> list[int]:
        ids = {d for d, t, m in self.cells if m == month.first}
        return sorted(ids, key=lambda d: self.departments[d].code)


def month_figures(*, months: list[Month], department_ids=None) -> Cells:
    """Counts for every (department, type, month) with an obligation or any activity."""
    months = sorted(months)
    start, end = months[0].start, months[-1].end
    wanted = {m.first for m in months}
    tz = timezone.get_current_timezone()
    by_department = {} if department_ids is None else {"department_id__in": list(department_ids)}
    cells: dict[tuple[int, int, datetime.date], Figures] = defaultdict(Figures)

    # 1. Obligations: active departments × their powers × the active record types of that power.
    obligations = (
        Department.powers.through.objects.filter(
            department__is_active=True, power__record_types__is_active=True, **by_department
        )
        .values_list("department_id", "power__record_types__id")
        .distinct()
        .order_by()
    )
    obligations = set(obligations)
    for department_id, type_id in obligations:
        for month in months:
            cells[(department_id, type_id, month.first)].expected = 1

    # 2. Records reported per cell.
    records = (
        Record.objects.filter(
            status__in=REPORTED_STATUSES, reported_at__gte=start, reported_at__lt=end, **by_department
        )
        .annotate(month=TruncMonth("reported_at", tzinfo=tz))
        .values("department_id", "record_type_id", "month")
        .annotate(
            reported=Count("pk"),
            judged=Count("pk", filter=Q(timely__isnull=False) | Q(report_deadline__lt=timezone.localdate())),
            timely=Count("pk", filter=Q(timely=True)),
        )
        .order_by()
    )
    for row in records:
        cell = cells[(row["department_id"], row["record_type_id"], _first_day(row["month"], tz))]
        cell.reported, cell.judged, cell.timely = row["reported"], row["judged"], row["timely"]

    # 3. Submissions (合规率 counts every row received): the runs' batch counts, already per local month
    # (SubmissionBatch.month), so no per-row table is scanned.
    submissions = (
        SubmissionBatch.objects.filter(month__gte=months[0].first, month__lt=months[-1].next.first, **by_department)
        .values("department_id", "record_type_id", "month")
        .annotate(submitted=Sum("rows"), compliant=Sum("compliant"))
        .order_by()
    )
    for row in submissions:
        cell = cells[(row["department_id"], row["record_type_id"], row["month"])]
        cell.submitted, cell.compliant = row["submitted"], row["compliant"]

    # 4. 零报告.
    zero = ZeroReport.objects.filter(month__in=wanted, **by_department).values_list(
        "department_id", "record_type_id", "month"
    )
    for key in zero:
        cells[key].zero = 1

    # 上报率 counts only the pairs that must report.
    for (department_id, type_id, _month), cell in cells.items():
        if (department_id, type_id) in obligations:
            cell.covered = 1 if (cell.reported or cell.zero) else 0
        else:
            cell.zero = 0

    department_ids_seen = {d for d, _, _ in cells}
    type_ids_seen = {t for _, t, _ in cells}
    return Cells(
        months=months,
        cells=dict(cells),
        departments=Department.objects.in_bulk(department_ids_seen),
        record_types=RecordType.objects.in_bulk(type_ids_seen),
    )


def _first_day(value, tz) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(tz)
        return value.date().replace(day=1)
    return value.replace(day=1)


# --- The department page ------------------------------------------------------------


def problem_submissions(*, department, month: Month):
    """Rejected rows of the month not yet fixed, newest first."""
    return (
        Submission.objects.filter(
            department=department, compliant=False, fixed=False, created_at__gte=month.start, created_at__lt=month.end
        )
        .select_related("record_type", "upload")
        .order_by("-created_at", "row_number")
    )


def records_nearing_deadline(*, department, latest: datetime.date):
    """Drafts and records awaiting review whose report deadline is on or before ``latest``."""
    return (
        Record.objects.filter(
            department=department,
            status__in=(Status.DRAFT, Status.PENDING_REVIEW),
            report_deadline__isnull=False,
            report_deadline__lte=latest,
        )
        .select_related("record_type")
        .order_by("report_deadline", "pk")
    )


def reportable_types(department):
    """Active record types the department must report (by the powers it holds)."""
    return RecordType.objects.filter(is_active=True, power__in=department.powers.all()).order_by("sort_order", "code")


def reported_in_month(*, department, record_type, month: Month) -> bool:
    return Record.objects.filter(
        department=department,
        record_type=record_type,
        status__in=REPORTED_STATUSES,
        reported_at__gte=month.start,
        reported_at__lt=month.end,
    ).exists()

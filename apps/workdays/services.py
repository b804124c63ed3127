"""Working-day arithmetic on the PRC calendar, and staff overrides of it.

Sources, strongest first (DOMAIN.md §4):

1. ``CalendarOverride`` rows entered by credit-center staff;
2. the ``chinese_calendar`` library (State Council holiday notices, 2004–2026
   in chinesecalendar 1.11.0) — ``official``;
3. for a year that library lacks: the ``holidays`` library (python-holidays),
   which derives the statutory holidays of any year 1950–2100 from
   《全国年节及纪念日放假办法》 and the lunar calendar, including the 补假
   its article 6 grants when a holiday falls on a weekend — ``estimated``. It
   cannot know the 调休 working weekends of a notice not yet published, so
   those weekends count as days off;
4. for a year neither library covers: Monday–Friday are working days —
   ``fallback``.

An answer is labelled with the weakest source of the years it spans
(official > estimated > fallback), so the screens can say how provisional the
deadline is. Overrides do not change the label: a year with a few staff-entered
days is still not a year whose whole notice is known.
"""

import contextlib
import datetime
import functools
from dataclasses import dataclass

import chinese_calendar
from auditlog.context import auditlog_value, set_actor
from chinese_calendar import constants as official_constants
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .choices import CalendarSource, OverrideKind
from .models import CalendarOverride

try:
    import holidays as estimated_library
except ImportError:  # optional: without it, years beyond the official notices fall back to Mon–Fri
    estimated_library = None

# The library's own range check uses the span of its holiday table; read it the
# same way so a library upgrade widens our range without a code change.
OFFICIAL_FIRST_YEAR: int = min(day.year for day in official_constants.holidays)
OFFICIAL_LAST_YEAR: int = max(day.year for day in official_constants.holidays)
OFFICIAL_LIBRARY_VERSION: str = chinese_calendar.__version__

# python-holidays states the span it computes China for; outside it (or without
# the package) it answers nothing, which must not read as "no holidays".
ESTIMATED_FIRST_YEAR: int | None = estimated_library.China.start_year if estimated_library else None
ESTIMATED_LAST_YEAR: int | None = estimated_library.China.end_year if estimated_library else None
ESTIMATED_LIBRARY_VERSION: str | None = estimated_library.__version__ if estimated_library else None

# Weakest last: a deadline spanning several years takes the weakest year's label.
_SOURCE_STRENGTH = {CalendarSource.OFFICIAL: 0, CalendarSource.ESTIMATED: 1, CalendarSource.FALLBACK: 2}

# Upper bound for "N working days": ten years of working days is far beyond any
# legal time limit, and keeps a public endpoint from being asked to walk forever.
MAX_DAYS = 3650

# Saturday and Sunday (date.weekday() numbering).
_WEEKEND = (5, 6)

# Overrides are prefetched for a window of calendar days per lookup. Real PRC
# breaks are at most 8–9 days in a row, so twice the working days plus a month
# covers any genuine calendar in a single query; a further window is read only
# if staff have entered an unusually long run of holidays.
_WINDOW_FACTOR = 2
_WINDOW_MARGIN_DAYS = 31
_FURTHER_WINDOW_DAYS = 366

# No calendar, real or mistyped, has a whole year without a working day. If the
# overrides say so, stop with a message instead of scanning to date.max.
_MAX_DAYS_WITHOUT_WORKDAY = 366


@dataclass(frozen=True)
class DeadlineResult:
    start: datetime.date
    days: int
    deadline: datetime.date
    calendar: str  # CalendarSource value: "official", "estimated" or "fallback"

    @property
    def is_fallback(self) -> bool:
        return self.calendar == CalendarSource.FALLBACK

    @property
    def is_estimated(self) -> bool:
        return self.calendar == CalendarSource.ESTIMATED


def official_calendar_covers(year: int) -> bool:
    return OFFICIAL_FIRST_YEAR <= year <= OFFICIAL_LAST_YEAR


def estimated_calendar_covers(year: int) -> bool:
    """The year is computed by python-holidays (it is not in the official notices)."""
    if official_calendar_covers(year) or ESTIMATED_FIRST_YEAR is None:
        return False
    return ESTIMATED_FIRST_YEAR <= year <= ESTIMATED_LAST_YEAR


@functools.lru_cache(maxsize=512)
def calendar_source_of_year(year: int) -> str:
    if official_calendar_covers(year):
        return CalendarSource.OFFICIAL
    if estimated_calendar_covers(year):
        return CalendarSource.ESTIMATED
    return CalendarSource.FALLBACK


def calendar_source_for(*, start: datetime.date, end: datetime.date) -> str:
    """The weakest source of the years from start to end (official > estimated > fallback)."""
    first, last = sorted((_as_date(start), _as_date(end)))
    if first.year == last.year:  # the common case, and a table of 100k rows asks per row
        return calendar_source_of_year(first.year)
    return max(
        (calendar_source_of_year(year) for year in range(first.year, last.year + 1)), key=_SOURCE_STRENGTH.__getitem__
    )


def _as_date(value) -> datetime.date:
    # A datetime is a date subclass; comparing the two raises, so strip the time.
    if isinstance(value, datetime.datetime):
        return value.date()
    if not isinstance(value, datetime.date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value


# chinese_calendar re-derives its year range on every call (~60 µs); memoising
# the pure per-day answer makes long spans and rate reports cheap. Bounded,
# because the public endpoint lets anyone ask about any date.
_BASE_CACHE_SIZE = 16384  # about 45 years of days


# One python-holidays year costs about a millisecond to compute (lunar dates,
# observance rules); memoise it per year like the per-day answer below.
_ESTIMATED_CACHE_YEARS = 256


@functools.lru_cache(maxsize=_ESTIMATED_CACHE_YEARS)
def _estimated_year(year: int) -> tuple[frozenset[datetime.date], frozenset[datetime.date]]:
    """(days off, weekend working days) of ``year`` by python-holidays, public
    holidays only: the half-day category (妇女节, 青年节 …) is not a day off for all."""
    china = estimated_library.country_holidays("CN", years=year, categories=("public",))
    days_off = frozenset(day for day in china if day.year == year)
    # Empty for a year without a published notice; kept so a library release
    # that adds a notice's 调休 working weekends is honoured without a code change.
    weekend_workdays = frozenset(day for day in china.weekend_workdays if day.year == year)
    return days_off, weekend_workdays


@functools.lru_cache(maxsize=_BASE_CACHE_SIZE)
def _base_is_workday(day: datetime.date) -> bool:
    """The calendar without staff overrides."""
    if official_calendar_covers(day.year):
        return chinese_calendar.is_workday(day)
    if estimated_calendar_covers(day.year):
        days_off, weekend_workdays = _estimated_year(day.year)
        if day in weekend_workdays:
            return True
        return day not in days_off and day.weekday() not in _WEEKEND
    return day.weekday() not in _WEEKEND


class _Calendar:
    """Overrides for a date range, read in as few queries as the range needs."""

    def __init__(self, *, first: datetime.date, last: datetime.date):
        self._overrides: dict[datetime.date, str] = {}
        self._load(first=first, last=last)

    def _load(self, *, first: datetime.date, last: datetime.date):
        rows = CalendarOverride.objects.filter(date__gte=first, date__lte=last).values_list("date", "kind")
        self._overrides.update(rows)
        self._loaded_until = last

    def is_workday(self, day: datetime.date) -> bool:
        if day > self._loaded_until:
            first = self._loaded_until + datetime.timedelta(days=1)
            self._load(first=first, last=_safe_add(first, _FURTHER_WINDOW_DAYS))
        kind = self._overrides.get(day)
        if kind is not None:
            return kind == OverrideKind.WORKDAY
        return _base_is_workday(day)


def _safe_add(day: datetime.date, delta_days: int) -> datetime.date:
    try:
        return day + datetime.timedelta(days=delta_days)
    except OverflowError:
        return datetime.date.max


def is_workday(day: datetime.date) -> bool:
    day = _as_date(day)
    return _Calendar(first=day, last=day).is_workday(day)


def workdays_add(*, start: datetime.date, days: int) -> DeadlineResult:
    """The day by which something must happen "within ``days`` working days of
    ``start``": the start day itself is not counted, the deadline is the
    ``days``-th working day after it."""
    start = _as_date(start)
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError("days must be an integer")
    if days < 0:
        raise ValueError("工作日天数不能为负数。")
    if days > MAX_DAYS:
        raise ValueError(f"工作日天数不能超过 {MAX_DAYS} 天。")

    calendar = _Calendar(first=_safe_add(start, 1), last=_safe_add(start, days * _WINDOW_FACTOR + _WINDOW_MARGIN_DAYS))
    day, counted, idle = start, 0, 0
    try:
        while counted < days:
            day += datetime.timedelta(days=1)
            if calendar.is_workday(day):
                counted, idle = counted + 1, 0
            else:
                idle += 1
                if idle > _MAX_DAYS_WITHOUT_WORKDAY:
                    raise ValueError(f"{day.year} 年前后连续一年以上没有工作日，请检查信用中心录入的日历调整是否有误。")
    except OverflowError:
        raise ValueError("计算结果超出了可支持的日期范围，请检查起算日期。") from None
    # The days examined are start+1 .. deadline; the start day's own status never
    # matters. With days=0 nothing is examined, so judge by the deadline itself
    # rather than call a date in an uncovered year "official".
    examined_from = min(_safe_add(start, 1), day)
    return DeadlineResult(
        start=start, days=days, deadline=day, calendar=calendar_source_for(start=examined_from, end=day)
    )


def workdays_between(*, start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` — the inverse of
    :func:`workdays_add`: ``workdays_between(start=s, end=workdays_add(start=s, days=n).deadline) == n``.

    ``end`` on or before ``start`` gives 0 (e.g. a record reported on the
    decision day itself took no working days)."""
    start, end = _as_date(start), _as_date(end)
    if end <= start:
        return 0
    first = start + datetime.timedelta(days=1)
    calendar = _Calendar(first=first, last=end)
    return sum(calendar.is_workday(first + datetime.timedelta(days=offset)) for offset in range((end - start).days))


# --- Overrides ----------------------------------------------------------------


@contextlib.contextmanager
def _audit_actor(user):
    """Make sure auditlog records ``user`` as the actor.

    AuditlogMiddleware already does this for web and DRF session requests, but
    services are also called from the shell and from tasks. ``set_actor`` does
    not restore an outer context on exit, so put the request's context back
    ourselves, and keep its remote address when it is the same user.
    """
    previous = auditlog_value.get(None)
    same_user = previous is not None and previous.get("actor") == user
    remote = (
        {"remote_addr": previous.get("remote_addr"), "remote_port": previous.get("remote_port")} if same_user else {}
    )
    try:
        with set_actor(user, **remote):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)


def calendar_override_set(*, date: datetime.date, kind: str, note: str = "", user) -> tuple[CalendarOverride, bool]:
    """Create the override for ``date`` or update the existing one (a date has
    one status). Returns ``(override, created)``. The first creator stays in
    ``created_by``; later editors are in the audit log."""
    date = _as_date(date)
    if kind not in OverrideKind.values:
        raise ValidationError({"kind": "类型只能是“放假”或“调休上班”。"})
    note = (note or "").strip()
    with _audit_actor(user):
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    override = CalendarOverride.objects.select_for_update().filter(date=date).first()
                    created = override is None
                    if created:
                        override = CalendarOverride(date=date, created_by=user)
                    elif override.kind == kind and override.note == note:
                        return override, False  # nothing changed: no empty audit entry
                    override.kind, override.note = kind, note
                    override.full_clean(validate_unique=False)
                    override.save()
                    return override, created
            except IntegrityError:
                # Someone created the same date between our read and insert;
                # the second pass finds and updates their row.
                continue
    raise ValidationError({"date": "该日期的调整正在被他人修改，请稍后重试。"})


def calendar_override_delete(*, override: CalendarOverride, user) -> None:
    with _audit_actor(user):
        override.delete()


# --- Many deadlines at once ----------------------------------------------------


class DeadlineTable:
    """Working days of a span, precomputed once, for deadlines of many rows.

    A bulk import computes thousands of "decision date + 7 working days"; one
    calendar walk plus a bisect per row is orders of magnitude cheaper than a
    ``workdays_add`` call per row.
    """

    def __init__(self, *, first: datetime.date, last: datetime.date):
        first, last = _as_date(first), _as_date(last)
        calendar = _Calendar(first=first, last=last)
        span = (last - first).days + 1
        self.first, self.last = first, last
        self.days = [d for d in (first + datetime.timedelta(days=i) for i in range(span)) if calendar.is_workday(d)]

    def add(self, *, start: datetime.date, days: int) -> DeadlineResult:
        import bisect

        index = bisect.bisect_right(self.days, start) + days - 1
        if days == 0:
            return DeadlineResult(
                start=start, days=0, deadline=start, calendar=calendar_source_for(start=start, end=start)
            )
        if start < self.first or index >= len(self.days):
            return workdays_add(start=start, days=days)  # outside the table: the exact slow path
        deadline = self.days[index]
        return DeadlineResult(
            start=start, days=days, deadline=deadline, calendar=calendar_source_for(start=start, end=deadline)
        )

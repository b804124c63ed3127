"""What the scorecard's measures read and answer: the assessment period, the live figures of one card (each
computed once), ``Measured`` with its inputs, the ``@measure`` registry (``models.MEASURES``) and the nightly
readings. ``measures.py`` holds the measures themselves, ``manual.py`` the lines staff enter."""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.utils import timezone

from apps.catalog.choices import PolicyKey
from apps.catalog.models import Policy
from apps.lists.figures import credit_check_figures
from apps.records.policy import PolicyMissing
from apps.subjects.choices import OperatingStatus
from apps.subjects.models import Subject

from .models import MEASURES, IndicatorReading
from .selectors import Month, last_months

TREND_MONTHS = 12


def period_months(on: datetime.date) -> int:
    """The length of the assessment period (创建期) in calendar months, as the policy row in force on ``on`` says
    (``scorecard_period_months``, seed 001: a year). A day before the first row is judged by the first row."""
    rows = Policy.objects.filter(key=PolicyKey.SCORECARD_PERIOD_MONTHS, record_type__isnull=True)
    row = rows.in_force(PolicyKey.SCORECARD_PERIOD_MONTHS, on=on) or rows.order_by("effective_from", "pk").first()
    if row is None or not isinstance(row.value, int) or row.value < 1:
        raise PolicyMissing(f"缺少有效的政策参数“{PolicyKey.SCORECARD_PERIOD_MONTHS.label}”，无法确定考核创建期")
    return row.value


@dataclass(frozen=True)
class Period:
    """The assessment period: from the first day of its first month to the day assessed (inclusive)."""

    first: datetime.date
    last: datetime.date

    @classmethod
    def ending(cls, on: datetime.date) -> "Period":
        return cls(last_months(period_months(on), until=Month.of(on))[0].first, on)

    @property
    def months(self) -> list[Month]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return last_months(count, until=Month.of(self.last))

    @property
    def start(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.first, datetime.time.min))

    @property
    def end(self) -> datetime.datetime:
        """The instant after the last day (exclusive bound)."""
        return timezone.make_aware(datetime.datetime.combine(self.last + datetime.timedelta(days=1), datetime.time.min))

    @property
    def label(self) -> str:
        return f"{self.first:%Y年%-m月%-d日}至{self.last:%Y年%-m月%-d日}"


@dataclass
class Input:
    """One figure a line is computed from, with the page listing the rows behind it."""

    label: str
    value: object
    href: str = ""


@dataclass
class Measured:
    """A live figure: what the rule scores (``value``), the number drawn in the trend, and how it reads."""

    value: object
    number: float | None
    text: str
    detail: dict = field(default_factory=dict)
    inputs: list[Input] = field(default_factory=list)
    # How the value is computed from the inputs, and over which span ("创建期内" / "截至某日").
    formula: str = ""
    span: str = ""


class LiveFigures:
    """What the measures of one card read, each figure computed once however many lines use it."""

    def __init__(self, on: datetime.date):
        self.on = on
        self.period = Period.ending(on)

    @property
    def at_end(self) -> str:
        return f"截至{self.on:%Y年%-m月%-d日}（创建期末）"

    @property
    def within(self) -> str:
        return f"创建期内（{self.period.label}）"

    @cached_property
    def check_figures(self):
        # 核查次数 count within the period (seed 001: "在创建期内超过100"); the lists as of the day.
        return credit_check_figures(on=self.on, date_from=self.period.first, date_to=self.on)

    @cached_property
    def operating_enterprises(self):

        return Subject.objects.enterprises().filter(status=OperatingStatus.OPERATING)

    @cached_property
    def enterprises_total(self):

        # 辖区内企业总数: every enterprise that still exists here — a cancelled (注销) enterprise no longer
        # exists and one that moved out (迁出) is no longer in the jurisdiction; revoked ones still exist.
        return Subject.objects.enterprises().exclude(status__in=[OperatingStatus.CANCELLED, OperatingStatus.MOVED_OUT])


def measure(code: str, label: str):
    def register(function):
        MEASURES[code] = (label, function)
        return function

    return register


def months_until(on: datetime.date) -> list[Month]:
    return last_months(TREND_MONTHS, until=Month.of(on))


def month_end_readings(codes: list[str], on: datetime.date) -> dict[str, dict[str, IndicatorReading]]:
    """The last reading of each month (of the trend window) per indicator code."""
    first = months_until(on)[0].first
    readings: dict[str, dict[str, IndicatorReading]] = {}
    for reading in IndicatorReading.objects.filter(code__in=codes, day__gte=first, day__lte=on).order_by("day"):
        readings.setdefault(reading.code, {})[Month.of(reading.day).param] = reading
    return readings

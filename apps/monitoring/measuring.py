"""What the scorecard's measures read and answer: the assessment period, the live figures of one card (each
computed once), ``Measured`` with its inputs, the ``@measure`` registry (``models.MEASURES``) and the nightly
readings. ``measures.py`` holds the measures themselves, ``manual.py`` the lines staff enter."""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.utils import timezone

from apps.lists.figures import credit_check_figures
from apps.subjects.choices import OperatingStatus
from apps.subjects.models import Subject

from .models import MEASURES, IndicatorReading
from .selectors import Month, last_months

TREND_MONTHS = 12
PERIOD_MONTHS = 12  # see scorecard's docstring: the table's own arithmetic fixes it at a year


@dataclass(frozen=True)
class Period:
    """The assessment period: from the first day of its first month to the day assessed (inclusive)."""

    first: datetime.date
    last: datetime.date

    @classmethod
    def ending(cls, on: datetime.date) -> "Period":
        return cls(last_months(PERIOD_MONTHS, until=Month.of(on))[0].first, on)

    @property
    def months(self) -> list[Month]:
        return last_months(PERIOD_MONTHS, until=Month.of(self.last))

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

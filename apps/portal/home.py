"""What the public home page shows besides search: headline figures, the latest 双公示, list highlights.

The figures are counts over whole tables, so they are cached for a few minutes (the cache fails soft:
without Redis they are counted on each visit); the lists are index range scans of a handful of rows.
"""

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.db import OperationalError, transaction

from apps.lists.choices import ListColor
from apps.lists.models import ListEntry
from apps.lists.selectors import PublicEntry, public_entries, public_view
from apps.records.selectors import public_records
from apps.repair.choices import RepairState
from apps.repair.models import RepairApplication
from apps.reports.models import CreditReport
from apps.subjects.models import Subject
from credit_portal.public_queries import is_statement_timeout

from .selectors import PublicRecordRow, record_rows

FIGURES_CACHE_SECONDS = 300
LATEST_RECORDS = 6
LIST_HIGHLIGHTS = 5


@dataclass(frozen=True)
class HomeFigures:
    """Each count, or ``None`` when it did not finish within the public statement timeout (shown as “—”)."""

    subjects: int | None
    records_in_publicity: int | None
    list_entries: int | None
    reports_issued: int | None
    repairs_this_year: int | None


@dataclass(frozen=True)
class HomePage:
    figures: HomeFigures
    latest_records: list[PublicRecordRow]
    red: list[PublicEntry]
    black: list[PublicEntry]


def home_figures(*, on: datetime.date) -> HomeFigures:
    key = f"portal:home:figures:{on.isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return HomeFigures(**cached)
    figures = HomeFigures(
        subjects=Subject.objects.count(),
        records_in_publicity=public_records(on=on).count(),
        list_entries=ListEntry.objects.active(on=on).filter(list_type__is_public=True).count(),
        reports_issued=CreditReport.objects.count(),
        repairs_this_year=RepairApplication.objects.filter(
            state=RepairState.APPROVED, decided_at__year=on.year
        ).count(),
    )
    cache.set(key, figures.__dict__, FIGURES_CACHE_SECONDS)
    return figures


def _count(queryset) -> int | None:
    """A whole-table count that may not hold the page: past the public statement timeout it is left out.

    The savepoint keeps the page's transaction (credit_portal/public_queries.py) usable after a cancel.
    """
    try:
        with transaction.atomic():
            return queryset.count()
    except OperationalError as exc:
        if is_statement_timeout(exc):
            return None
        raise


def home_page(*, on: datetime.date) -> HomePage:
    entries = public_entries(on=on)
    return HomePage(
        figures=home_figures(on=on),
        latest_records=record_rows(list(public_records(on=on)[:LATEST_RECORDS])),
        red=[public_view(e) for e in entries.filter(list_type__color=ListColor.RED)[:LIST_HIGHLIGHTS]],
        black=[public_view(e) for e in entries.filter(list_type__color=ListColor.BLACK)[:LIST_HIGHLIGHTS]],
    )

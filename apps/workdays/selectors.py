from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear

from .models import CalendarOverride


def calendar_override_list(*, year: int | None = None) -> QuerySet[CalendarOverride]:
    overrides = CalendarOverride.objects.select_related("created_by").order_by("date")
    if year is not None:
        overrides = overrides.filter(date__year=year)
    return overrides


def calendar_override_year_counts() -> dict[int, int]:
    """Number of overrides per year, oldest year first."""
    rows = (
        CalendarOverride.objects.annotate(year=ExtractYear("date"))
        .values("year")
        .annotate(count=Count("id"))
        .order_by("year")
    )
    return {row["year"]: row["count"] for row in rows}

import django_filters

from .choices import OverrideKind
from .models import CalendarOverride


class CalendarOverrideFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="date__year", label="年度")
    kind = django_filters.ChoiceFilter(choices=OverrideKind.choices, label="类型")

    class Meta:
        model = CalendarOverride
        fields = ("year", "kind")

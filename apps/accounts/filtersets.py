import django_filters

from .models import Department


class DepartmentFilterSet(django_filters.FilterSet):
    power = django_filters.CharFilter(field_name="powers__code", label="职权代码", distinct=True)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="名称包含")

    class Meta:
        model = Department
        fields = ("power", "q", "region_code")

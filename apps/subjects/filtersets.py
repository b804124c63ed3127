import django_filters
from django import forms

from .choices import OperatingStatus, SubjectKind
from .models import Subject
from .selectors import subject_search


class SubjectFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="名称或代码",
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": "名称、统一社会信用代码、旧代码或身份证号码", "size": 36}),
    )
    kind = django_filters.ChoiceFilter(label="主体类别", choices=SubjectKind.choices, empty_label="全部类别")
    status = django_filters.ChoiceFilter(label="经营状态", choices=OperatingStatus.choices, empty_label="全部状态")
    code_valid = django_filters.ChoiceFilter(
        label="代码校验",
        method="filter_code_valid",
        choices=(("yes", "校验通过"), ("no", "错码")),
        empty_label="全部",
    )

    class Meta:
        model = Subject
        fields = ("q", "kind", "status", "code_valid")

    def filter_q(self, queryset, name, value):
        return subject_search(query=value, queryset=queryset)

    def filter_code_valid(self, queryset, name, value):
        return queryset.filter(code_valid=value == "yes")

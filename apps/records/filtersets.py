"""Record filters: one FilterSet behind the public 公示 pages, the public API and the department API.

``RecordFilterSet`` is what the public may filter by; ``StaffRecordFilterSet``
adds what only departments and the center see (status, timeliness, reporting
date). The querysets they filter come from ``selectors``, which decide who sees
which records; the filters only narrow that down.
"""

import django_filters
from django import forms

from apps.accounts.models import Department
from apps.catalog.models import RecordType
from apps.subjects.codes import check_id_number, normalise_code
from apps.subjects.masking import public_contains
from apps.subjects.pii import id_number_hash

from .choices import Status
from .models import Record
from .selectors import public_record_types

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _active_departments():
    return Department.objects.filter(is_active=True).order_by("code")


class RecordFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(
        field_name="subject_name",
        method="filter_public_text",
        label="行政相对人名称",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "名称包含的文字", "size": 24}),
    )
    code = django_filters.CharFilter(
        method="filter_code",
        label="统一社会信用代码",
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "18位统一社会信用代码", "size": 22}),
    )
    number = django_filters.CharFilter(
        field_name="decision_number",
        method="filter_public_text",
        label="决定文书号",
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "决定书文号", "size": 20}),
    )
    type = django_filters.ModelChoiceFilter(
        field_name="record_type",
        to_field_name="code",
        queryset=public_record_types(),
        label="信息类型",
        empty_label="全部类型",
    )
    department = django_filters.ModelChoiceFilter(
        field_name="department",
        to_field_name="code",
        queryset=_active_departments(),
        label="决定部门",
        empty_label="全部部门",
    )
    decided_from = django_filters.DateFilter(
        field_name="decision_date", lookup_expr="gte", label="决定日期自", widget=_DATE
    )
    decided_to = django_filters.DateFilter(
        field_name="decision_date", lookup_expr="lte", label="决定日期至", widget=_DATE
    )

    class Meta:
        model = Record
        fields = ("name", "code", "number", "type", "department", "decided_from", "decided_to")

    def filter_public_text(self, queryset, name, value):
        # Names and document numbers are shown masked (ID and mobile numbers): matched as shown.
        return queryset.filter(public_contains(name, value)) if value else queryset

    def filter_code(self, queryset, name, value):
        # The public code column holds USCCs and masked ID numbers only: an exact match,
        # so a full ID number typed here finds nothing publicly.
        code = normalise_code(value)
        return queryset.filter(subject_code=code) if code else queryset


class StaffRecordFilterSet(RecordFilterSet):
    type = django_filters.ModelChoiceFilter(
        field_name="record_type",
        to_field_name="code",
        queryset=RecordType.objects.order_by("sort_order", "code"),
        label="信息类型",
        empty_label="全部类型",
    )
    department = django_filters.ModelChoiceFilter(
        field_name="department",
        to_field_name="code",
        queryset=Department.objects.order_by("code"),
        label="报送部门",
        empty_label="全部部门",
    )
    code = django_filters.CharFilter(
        method="filter_code", label="统一社会信用代码或身份证号码", max_length=30, widget=forms.TextInput()
    )
    # Staff read names and document numbers in full: a plain substring match.
    name = django_filters.CharFilter(
        field_name="subject_name",
        lookup_expr="icontains",
        label="行政相对人名称",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "名称包含的文字", "size": 24}),
    )
    number = django_filters.CharFilter(
        field_name="decision_number",
        lookup_expr="icontains",
        label="决定文书号",
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "决定书文号", "size": 20}),
    )
    status = django_filters.ChoiceFilter(choices=Status.choices, label="状态", empty_label="全部状态")
    timely = django_filters.BooleanFilter(label="按时公示")
    reported_from = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__gte", label="报送日期自", widget=_DATE
    )
    reported_to = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__lte", label="报送日期至", widget=_DATE
    )

    class Meta:
        model = Record
        fields = (*RecordFilterSet.Meta.fields, "status", "timely", "reported_from", "reported_to")

    def filter_code(self, queryset, name, value):
        code = normalise_code(value)
        if not code:
            return queryset
        if check_id_number(code).valid:
            # Staff may look a person up by full ID number: through the subject's keyed hash.
            return queryset.filter(subject__id_number_hash=id_number_hash(code))
        return queryset.filter(subject_code=code)

"""List-entry filters: the department pages (``EntryFilterSet``) and the public list pages (``PublicEntryFilterSet``).

The querysets they narrow come from ``selectors``, which decide who sees which entries.
"""

import django_filters
from django import forms
from django.db.models import Q

from apps.accounts.models import Department
from apps.subjects.codes import check_id_number, normalise_code
from apps.subjects.masking import public_contains
from apps.subjects.pii import id_number_hash

from .choices import EntryState, ListColor
from .models import ListEntry, ListType
from .selectors import public_list_types, sees_all


class EntryFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="名称、代码或文书号",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "主体名称、统一社会信用代码、身份证号码或认定文书号"}),
    )
    color = django_filters.ChoiceFilter(
        field_name="list_type__color", choices=ListColor.choices, label="名单类别", empty_label="全部类别"
    )
    type = django_filters.ModelChoiceFilter(
        field_name="list_type",
        to_field_name="code",
        queryset=ListType.objects.order_by("color", "sort_order", "code"),
        label="名单类型",
        empty_label="全部名单",
    )
    state = django_filters.ChoiceFilter(choices=EntryState.choices, label="状态", empty_label="全部状态")
    department = django_filters.ModelChoiceFilter(
        field_name="department",
        to_field_name="code",
        queryset=Department.objects.order_by("code"),
        label="认定部门",
        empty_label="全部部门",
    )

    class Meta:
        model = ListEntry
        fields = ("q", "color", "type", "state", "department")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is None or not sees_all(user):
            # A department sees its own entries only: no department choice, and only the
            # list types it recognises or has entries of.
            self.filters.pop("department")
            if user is not None and user.department_id:
                self.filters["type"].queryset = ListType.objects.filter(
                    Q(recognisers=user.department_id) | Q(entries__department_id=user.department_id)
                ).distinct()

    def filter_q(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        code = normalise_code(text)
        if check_id_number(code).valid:
            # A person by full ID number: through the subject's keyed hash, never a clear column.
            return queryset.filter(subject__id_number_hash=id_number_hash(code))
        return queryset.filter(
            Q(record__subject_name__icontains=text)
            | Q(record__subject_code=code)
            | Q(record__decision_number__icontains=text)
        )


class PublicEntryFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(
        field_name="record__subject_name",
        method="filter_name",
        label="主体名称",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "名称包含的文字"}),
    )
    code = django_filters.CharFilter(
        method="filter_code",
        label="统一社会信用代码",
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "18位统一社会信用代码"}),
    )
    color = django_filters.ChoiceFilter(
        field_name="list_type__color", choices=ListColor.choices, label="名单类别", empty_label="全部类别"
    )
    type = django_filters.ModelChoiceFilter(
        field_name="list_type",
        to_field_name="code",
        queryset=public_list_types(),
        label="名单类型",
        empty_label="全部名单",
    )

    class Meta:
        model = ListEntry
        fields = ("name", "code", "color", "type")

    def filter_name(self, queryset, name, value):
        # Names are shown masked (ID and mobile numbers): matched as shown.
        return queryset.filter(public_contains(name, value)) if value else queryset

    def filter_code(self, queryset, name, value):
        # The public code column holds USCCs and masked ID numbers only: an exact match,
        # so a full ID number typed here finds nothing publicly.
        code = normalise_code(value)
        return queryset.filter(record__subject_code=code) if code else queryset

"""Forms of the list pages: removal, 约谈, list types, matters and the versioned measures list."""

import re

from django import forms
from django.utils import timezone

from apps.accounts.models import Department

from .models import ListType, Matter, Measure
from .services import StaleRevision, measure_revise  # noqa: F401 — StaleRevision re-exported for views

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_MEASURE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class RemovalForm(forms.Form):
    reason = forms.CharField(
        label="移出原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：已履行法定义务、已完成信用修复、认定决定被撤销等，记入历史",
        error_messages={"required": "请填写移出原因。"},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("请填写移出原因。")
        return reason


class InterviewForm(forms.Form):
    held_on = forms.DateField(label="约谈日期", widget=_DATE)
    participants = forms.CharField(label="约谈对象", max_length=200, help_text="如：法定代表人王某、财务负责人李某")
    content = forms.CharField(label="约谈内容", max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, entry=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError("约谈日期不能晚于今天。")
        if self.entry is not None and held_on < self.entry.recognised_on:
            raise forms.ValidationError("约谈日期不能早于认定日期。")
        return held_on

    def clean_participants(self):
        return self.cleaned_data["participants"].strip()

    def clean_content(self):
        return self.cleaned_data["content"].strip()


# --- list types -------------------------------------------------------------------------


def _departments_for(instance):
    qs = Department.objects.filter(is_active=True)
    if instance is not None and instance.pk:
        # Keep an inactive department already named, so saving does not silently drop it.
        qs = Department.objects.filter(pk__in=qs.values("pk")) | Department.objects.filter(
            recognisable_list_types=instance
        )
    return qs.distinct().order_by("code")


class ListTypeForm(forms.ModelForm):
    class Meta:
        model = ListType
        fields = (
            "legal_basis",
            "source",
            "recognisers",
            "recogniser_note",
            "validity_months",
            "triggers_measures",
            "is_public",
            "repairable",
            "repair_note",
            "is_active",
            "sort_order",
        )
        widgets = {
            "legal_basis": forms.Textarea(attrs={"rows": 3}),
            "repair_note": forms.Textarea(attrs={"rows": 3}),
            "recognisers": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "recognisers": "只有勾选的部门可以认定该名单，报送时逐条校验",
            "is_active": "停用后不能再认定新的条目，已在列的条目不受影响",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recognisers"].queryset = _departments_for(self.instance)

    def clean(self):
        cleaned = super().clean()
        # The applicant is told why a list cannot be repaired here, so the reason must be written down.
        if cleaned.get("repairable") is False and not (cleaned.get("repair_note") or "").strip():
            self.add_error("repair_note", "不可通过平台修复的名单，请填写向申请人说明的原因及办理途径。")
        return cleaned


class ListTypeCreateForm(ListTypeForm):
    class Meta(ListTypeForm.Meta):
        fields = ("code", "name", "color", "effective_from", *ListTypeForm.Meta.fields)
        widgets = {**ListTypeForm.Meta.widgets, "effective_from": _DATE}
        help_texts = {
            **ListTypeForm.Meta.help_texts,
            "code": "英文小写字母、数字和下划线，创建后不能修改",
            "name": "认定时填写的名单类型名称，创建后不能修改",
        }


# --- matters ----------------------------------------------------------------------------


class MatterForm(forms.ModelForm):
    class Meta:
        model = Matter
        fields = ("code", "name", "sort_order")
        help_texts = {"code": "英文小写字母、数字和下划线，如 bidding"}


# --- measures ---------------------------------------------------------------------------


class _MeasureFields(forms.ModelForm):
    class Meta:
        model = Measure
        fields = (
            "name",
            "kind",
            "content",
            "legal_basis",
            "implementing_department",
            "list_types",
            "matters",
            "effective_from",
        )
        widgets = {
            "content": forms.Textarea(attrs={"rows": 3}),
            "legal_basis": forms.Textarea(attrs={"rows": 3}),
            "list_types": forms.CheckboxSelectMultiple,
            "matters": forms.CheckboxSelectMultiple,
            "effective_from": _DATE,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list_types"].queryset = ListType.objects.order_by("color", "sort_order", "code")
        self.fields["list_types"].help_text = "列入这些名单的主体适用本措施"
        self.fields["matters"].queryset = Matter.objects.all()
        self.fields["matters"].help_text = "办理这些事项时，信用核查返回本措施"


class MeasureCreateForm(_MeasureFields):
    class Meta(_MeasureFields.Meta):
        fields = ("code", *_MeasureFields.Meta.fields)
        help_texts = {"code": "如 CJ-11（惩戒）、JL-07（激励），创建后不能修改"}

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not _MEASURE_CODE.match(code):
            raise forms.ValidationError("编号只能由字母、数字、连字符和下划线组成。")
        if Measure.objects.filter(code=code).exists():
            raise forms.ValidationError("该编号已存在；修改已有措施请在其页面“修订”。")
        return code

    def save(self, commit=True):
        self.instance.version = 1
        return super().save(commit=commit)


class MeasureReviseForm(_MeasureFields):
    """A revision never overwrites: it is saved as a new row (version + 1) from ``effective_from``,
    and the version it replaces ends the day before."""

    def __init__(self, *args, current: Measure, **kwargs):
        self.current = current
        initial = {
            "name": current.name,
            "kind": current.kind,
            "content": current.content,
            "legal_basis": current.legal_basis,
            "implementing_department": current.implementing_department,
            "list_types": list(current.list_types.all()),
            "matters": list(current.matters.all()),
            "effective_from": None,
        }
        initial.update(kwargs.pop("initial", None) or {})
        super().__init__(*args, initial=initial, **kwargs)
        self.fields[
            "effective_from"
        ].help_text = (
            f"新版本自该日起施行；第 {current.version} 版（{current.effective_from:%Y-%m-%d} 起）将于前一日失效"
        )

    def clean_effective_from(self):
        effective_from = self.cleaned_data["effective_from"]
        if effective_from <= self.current.effective_from:
            raise forms.ValidationError(
                f"新版本的生效日期应晚于当前版本的生效日期（{self.current.effective_from:%Y-%m-%d}）。"
            )
        return effective_from

    def save(self, commit=True):
        if not commit:
            raise ValueError("A revision is saved in one transaction; call save() with commit=True.")
        data = self.cleaned_data
        fields = {name: data[name] for name in ("name", "kind", "content", "legal_basis", "implementing_department")}
        return measure_revise(
            current=self.current,
            fields=fields,
            list_types=data["list_types"],
            matters=data["matters"],
            effective_from=data["effective_from"],
        )


class MeasureRetireForm(forms.Form):
    effective_to = forms.DateField(label="失效日期", widget=_DATE, help_text="该日为最后一个施行日")

    def __init__(self, *args, current: Measure, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current

    def clean_effective_to(self):
        effective_to = self.cleaned_data["effective_to"]
        if effective_to < self.current.effective_from:
            raise forms.ValidationError(f"失效日期不能早于生效日期（{self.current.effective_from:%Y-%m-%d}）。")
        if self.current.effective_to is not None and effective_to > self.current.effective_to:
            raise forms.ValidationError(f"该版本已定于 {self.current.effective_to:%Y-%m-%d} 失效。")
        return effective_to

    def save(self):
        Measure.objects.filter(pk=self.current.pk).update(effective_to=self.cleaned_data["effective_to"])

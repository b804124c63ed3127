import datetime

from django import forms
from django.utils import timezone

from apps.accounts.models import Department
from apps.accounts.permissions import CENTER_ROLES, has_role

from .choices import Identifiers

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_PERIOD_DAYS = 366


def _last_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


class PeriodForm(forms.Form):
    date_from = forms.DateField(label="起始日期", widget=_DATE, help_text="按报送日期（修复、异议按办结日期）")
    date_to = forms.DateField(label="截止日期", widget=_DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        start, end = _last_month(timezone.localdate())
        self.fields["date_from"].initial, self.fields["date_to"].initial = start, end

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", "截止日期不能早于起始日期。")
            elif (end - start).days >= MAX_PERIOD_DAYS:
                self.add_error("date_to", "期间最长一年，请分段导出或上报。")
        return data


class ExchangeExportForm(PeriodForm):
    """Center: any department or all, masked or 政务共享; department staff: their own department, masked."""

    department = forms.ModelChoiceField(
        label="报送部门",
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label="全部部门",
    )
    identifiers = forms.ChoiceField(
        label="证件号码", choices=Identifiers.choices, initial=Identifiers.MASKED, required=False
    )  # empty: masked

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.for_center = has_role(user, CENTER_ROLES)
        if not self.for_center:
            del self.fields["department"]
            self.fields["identifiers"].choices = [(Identifiers.MASKED.value, Identifiers.MASKED.label)]

    def clean(self):
        data = super().clean()
        if not self.for_center and not getattr(self.user, "department_id", None):
            raise forms.ValidationError("账号未设置所属部门，不能导出。")
        return data

    @property
    def export_department(self):
        return self.cleaned_data.get("department") if self.for_center else self.user.department

    @property
    def full(self) -> bool:
        return self.for_center and self.cleaned_data.get("identifiers") == Identifiers.FULL


class PushForm(PeriodForm):
    confirm = forms.BooleanField(
        label="确认上报含完整身份证号码的数据", error_messages={"required": "请勾选确认后再上报。"}
    )


class ResendForm(forms.Form):
    batch = forms.UUIDField(error_messages={"required": "缺少批次号。", "invalid": "批次号格式不正确。"})

import datetime

from django import forms
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from apps.accounts.models import Department
from apps.portal.selectors import penalty_departments
from credit_portal.policy_cache import policy_cache

from .choices import Purpose, ReportKind


class ReportRequestForm(forms.Form):
    """What a visitor asks for: the kind of report, its purpose and, for the 专用版, fields and period."""

    kind = forms.ChoiceField(
        label="报告类型", choices=ReportKind.choices, initial=ReportKind.STANDARD, widget=forms.RadioSelect
    )
    purpose = forms.ChoiceField(label="报告用途", choices=[("", "请选择")] + list(Purpose.choices))
    purpose_note = forms.CharField(label="用途说明", max_length=200, required=False, help_text="如：某项目投标（选填）")
    departments = forms.TypedMultipleChoiceField(
        label="查询领域（专用版）", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    period_from = forms.DateField(
        label="查询期间自（专用版）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_to = forms.DateField(
        label="查询期间至（专用版）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = penalty_departments()

    def clean(self):
        data = super().clean()
        if data.get("kind") != ReportKind.SPECIAL:
            return data
        today = timezone.localdate()
        errors = {}
        if not data.get("departments"):
            errors["departments"] = "专用版请至少选择一个查询领域。"
        start, end = data.get("period_from"), data.get("period_to")
        if not start and "period_from" not in self.errors:
            errors["period_from"] = "专用版请填写查询期间的起始日。"
        if not end and "period_to" not in self.errors:
            errors["period_to"] = "专用版请填写查询期间的截止日。"
        if end and end > today:
            errors["period_to"] = "查询期间的截止日不能晚于今天。"
        if start and end and start > end:
            errors["period_from"] = "查询期间的起始日不能晚于截止日。"
        if start and start < today - datetime.timedelta(days=366 * 10):
            errors.setdefault("period_from", "查询期间不能早于十年前。")
        if errors:
            raise forms.ValidationError(errors)
        return data


def _render_unbound_fields():
    html = render_to_string("reports/_request_fields.html", {"report_form": ReportRequestForm()})
    return mark_safe(html)  # noqa: S308 — rendered by the template engine, escaped there


# The unbound form's fields as HTML, rendered once per process (credit_portal/policy_cache.py): every
# profile page shows the form, and rendering its radio buttons and one checkbox per department
# through the widget templates cost more than the rest of the page. Only the department choices
# vary, and those are policy data: a save of a department, its powers or a record type drops it.
# No per-request data inside: the CSRF token stays in the page template.
unbound_request_fields = policy_cache.register(
    "reports.unbound_request_fields", _render_unbound_fields, models=("accounts.Department", "catalog.RecordType")
)
policy_cache.watch_m2m(Department.powers.through, name="reports.unbound_request_fields")


class VerifyForm(forms.Form):
    number = forms.CharField(label="报告编号", max_length=40)
    code = forms.CharField(label="验证码", max_length=20)

from django import forms

from .choices import OverrideKind
from .models import CalendarOverride
from .services import MAX_DAYS

_note_field = CalendarOverride._meta.get_field("note")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        # The browser's date picker submits ISO dates; keep the value in that format.
        super().__init__(format="%Y-%m-%d", **kwargs)


class CalendarOverrideForm(forms.Form):
    """A plain form, not a ModelForm: saving a date that already has an
    override updates it, so the model's unique check must not run here."""

    date = forms.DateField(
        label="日期", widget=DateInput(), error_messages={"required": "请填写日期。", "invalid": "请输入有效日期。"}
    )
    kind = forms.ChoiceField(
        label="类型",
        # A blank first option, so a hurried save cannot default to "holiday".
        choices=[("", "请选择"), *OverrideKind.choices],
        error_messages={"required": "请选择类型。", "invalid_choice": "请选择“放假”或“调休上班”。"},
    )
    note = forms.CharField(
        label="说明",
        max_length=_note_field.max_length,
        required=False,
        help_text=_note_field.help_text,
        error_messages={"max_length": "说明不能超过 %(limit_value)d 个字。"},
    )


class DeadlineForm(forms.Form):
    start = forms.DateField(
        label="起算日期（决定日期，当天不计入）",
        widget=DateInput(),
        error_messages={"required": "请填写起算日期。", "invalid": "请输入有效日期。"},
    )
    days = forms.IntegerField(
        label="工作日天数",
        min_value=0,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_DAYS, "step": 1}),
        error_messages={
            "required": "请填写工作日天数。",
            "invalid": "工作日天数必须是整数。",
            "min_value": "工作日天数不能为负数。",
            "max_value": "工作日天数不能超过 %(limit_value)s。",
        },
    )

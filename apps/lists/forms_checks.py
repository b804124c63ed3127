from django import forms
from django.core.exceptions import ValidationError

from .check_files import batch_max_bytes, batch_max_rows, batch_queries_read
from .models import Matter


class MatterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _matter_field():
    return MatterChoiceField(
        label="办理事项",
        queryset=Matter.objects.all(),
        to_field_name="code",
        empty_label="请选择办理事项",
        error_messages={"invalid_choice": "请选择列表中的办理事项。", "required": "请选择办理事项。"},
    )


class CreditCheckForm(forms.Form):
    query = forms.CharField(
        label="主体代码或名称",
        max_length=200,
        help_text="统一社会信用代码、身份证号码、工商注册号等，或主体全称（同名主体多个时请用代码）。",
        error_messages={"required": "请输入主体的统一社会信用代码、证件号码或名称。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    matter = _matter_field()

    def clean_query(self):
        value = self.cleaned_data["query"].strip()
        if not value:
            raise ValidationError("请输入主体的统一社会信用代码、证件号码或名称。")
        return value


class BatchCheckForm(forms.Form):
    file = forms.FileField(
        label="核查名单文件",
        help_text=(
            f"Excel（.xlsx）或 CSV 文件，首行为表头，含“统一社会信用代码”（或“代码”）列或“名称”列；"
            f"最多 {batch_max_rows():,} 行、{batch_max_bytes() // 1024 // 1024} MB。"
        ),
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    matter = _matter_field()

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        # Read here so a malformed file is reported next to the field, in Chinese.
        self.cleaned_data["queries"] = batch_queries_read(uploaded)
        return uploaded


class FeedbackForm(forms.Form):
    measure = forms.CharField(widget=forms.HiddenInput, max_length=20)
    implemented = forms.TypedChoiceField(
        label="实施情况",
        choices=[("1", "已实施"), ("0", "未实施")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择已实施或未实施。"},
    )
    reason = forms.CharField(
        label="未实施原因 / 实施情况",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("implemented") is False and not (data.get("reason") or "").strip():
            self.add_error("reason", "措施未实施的，必须填写原因。")
        return data


class FiguresPeriodForm(forms.Form):
    date_from = forms.DateField(label="核查起始日", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="核查截止日", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("截止日不能早于起始日。")
        return data

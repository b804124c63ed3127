from django import forms

from apps.records.choices import Severity

from .choices import Outcome
from .models import CommitmentTemplate


class SignForm(forms.Form):
    template = forms.ModelChoiceField(
        label="承诺事项",
        queryset=CommitmentTemplate.objects.filter(is_active=True, supervising_department__isnull=False),
    )
    agree = forms.BooleanField(label="本人已阅读承诺书全文，自愿作出承诺")


class PaperForm(forms.Form):
    template = forms.ModelChoiceField(
        label="承诺事项",
        queryset=CommitmentTemplate.objects.none(),
        error_messages={"invalid_choice": "请选择本部门监管的承诺事项。"},
    )
    uscc = forms.CharField(label="统一社会信用代码", max_length=18)
    signed_on = forms.DateField(label="承诺日期", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the templates the clerk's own department supervises: a paper commitment is entered by the
        # department that will check its fulfilment. No department (credit-center staff): none.
        if department is not None:
            self.fields["template"].queryset = CommitmentTemplate.objects.filter(
                is_active=True, supervising_department=department
            )


class FulfilForm(forms.Form):
    outcome = forms.ChoiceField(label="履约情况", choices=Outcome.choices)
    unfulfilled = forms.CharField(label="未履行内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    follow_up = forms.CharField(label="后续处理", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    severity = forms.ChoiceField(
        label="失信程度",
        required=False,
        choices=[("", "请选择（未全部履行时必填）")] + list(Severity.choices),
        help_text="违诺形成失信记录，其公示期和信用修复按所选失信程度的政策执行",
    )


class TemplateForm(forms.ModelForm):
    class Meta:
        model = CommitmentTemplate
        fields = ["type", "matter", "title", "body", "supervising_department", "term_days", "is_active"]


class ImportForm(forms.Form):
    file = forms.FileField(
        label="导入文件",
        help_text="按导入模板填写的 .xlsx 工作簿或 .csv 文件",
        error_messages={"empty": "文件是空的（0 字节），请选择填好数据的文件。", "required": "请选择要导入的文件。"},
    )

from django import forms
from django.utils import timezone

from apps.subjects.choices import SubjectKind

from .choices import SampleBasis
from .models import InspectionTask, SupervisionField


class ProvincialImportForm(forms.Form):
    file = forms.FileField(
        label="省级评价结果（.xlsx 或 .csv）", help_text="表头：统一社会信用代码、信用等级、评价日期、有效期至"
    )


class InspectionTaskForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label="主体类别", choices=SubjectKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    operating_only = forms.BooleanField(label="仅存续经营主体", required=False, initial=True)
    grades = forms.CharField(label="信用等级范围", required=False, help_text="如 A,B,C,D；留空为全部")
    rate_percent = forms.DecimalField(
        label="基础抽查比例（%）", required=False, min_value=0, max_value=100, decimal_places=2
    )
    inspectors_text = forms.CharField(
        label="执法检查人员名录", widget=forms.Textarea(attrs={"rows": 4}), help_text="每行一人：姓名（执法证号）"
    )

    class Meta:
        model = InspectionTask
        fields = ["name", "field", "basis", "size", "inspectors_per_subject"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].queryset = SupervisionField.objects.all()

    def clean(self):
        data = super().clean()
        problems = []
        basis = data.get("basis")
        if basis == SampleBasis.SIZE and not data.get("size"):
            problems.append("按数量抽取时必须填写抽查数量。")
        if basis == SampleBasis.RATE and not data.get("rate_percent"):
            problems.append("按比例抽取时必须填写抽查比例。")
        inspectors = [line.strip() for line in (data.get("inspectors_text") or "").splitlines() if line.strip()]
        if len(inspectors) < (data.get("inspectors_per_subject") or 1):
            problems.append("执法检查人员人数少于每户检查人员数。")
        if problems:
            raise forms.ValidationError(problems)
        data["inspectors"] = inspectors
        return data


class SupervisionInterviewForm(forms.Form):
    held_on = forms.DateField(label="约谈日期", widget=forms.DateInput(attrs={"type": "date"}))
    participants = forms.CharField(
        label="约谈对象", max_length=200, help_text="企业主要负责人，如：法定代表人王某、总经理李某"
    )
    content = forms.CharField(label="约谈内容及整改要求", max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError("约谈日期不能晚于今天。")
        return held_on

    def clean_participants(self):
        return self.cleaned_data["participants"].strip()

    def clean_content(self):
        return self.cleaned_data["content"].strip()

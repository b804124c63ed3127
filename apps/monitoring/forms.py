from django import forms

from apps.catalog.models import RecordType

from . import selectors


class ZeroReportForm(forms.Form):
    record_type = forms.ModelChoiceField(
        label="信息类型",
        queryset=RecordType.objects.none(),
        empty_label="请选择",
        help_text="本月没有作出该类行政行为决定时声明零报告；已报送过该类记录的月份不能再作零报告。",
        error_messages={"invalid_choice": "请选择本部门承担报送职责的信息类型。"},
    )

    def __init__(self, *args, department, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_type"].queryset = selectors.reportable_types(department)


class ManualEntryForm(forms.Form):
    """A 人工评分 or 扣分事项 entry; the rules (range, item, evidence type) are checked by the service."""

    code = forms.SlugField(widget=forms.HiddenInput)
    month = forms.CharField(label="所属月份", max_length=7, help_text="YYYY-MM，须在本创建期内")
    points = forms.DecimalField(label="分数", required=False, max_digits=5, decimal_places=2)
    item = forms.SlugField(label="扣分事项", required=False)
    note = forms.CharField(label="说明", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(
        label="佐证材料", help_text="PDF、JPG、PNG", error_messages={"required": "请上传佐证材料。"}
    )

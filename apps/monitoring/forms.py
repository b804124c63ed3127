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

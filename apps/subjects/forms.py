from django import forms


class RevealReasonForm(forms.Form):
    reason = forms.CharField(
        label="查看事由",
        max_length=200,
        min_length=4,
        help_text="如：核实信用修复申请人身份（案件编号 …）。事由、查看人和时间将记入个人信息查看记录。",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

from django import forms

from apps.accounts.models import Department

from .choices import DeclarationKind

_DATE = forms.DateInput(attrs={"type": "date"})


class DeclarationForm(forms.Form):
    kind = forms.ChoiceField(label="信息类别", choices=DeclarationKind.choices)
    title = forms.CharField(label="名称", max_length=200, help_text="如：证书名称、荣誉名称、合同名称")
    content = forms.CharField(
        label="内容",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="证书编号、等级、合同标的与履行情况、公益活动内容等。请勿填写身份证号码、手机号码，公示时将自动遮盖。",
    )
    issuer = forms.CharField(label="颁发或认定单位／合同相对方", max_length=200, required=False)
    occurred_on = forms.DateField(label="取得或发生日期", widget=_DATE)
    valid_until = forms.DateField(label="有效期至", widget=_DATE, required=False)
    department = forms.ModelChoiceField(
        label="核实部门", queryset=Department.objects.none(), help_text="负责核实本条信息的主管部门"
    )
    pledge_accepted = forms.BooleanField(
        label="我已阅读并同意上述信用承诺", required=False
    )  # checked in the service, so the message is the same on every path

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True).order_by("name")

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def clean_content(self):
        return self.cleaned_data["content"].strip()


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label="核实结果", choices=[("verify", "核实属实"), ("reject", "核实不通过")])
    note = forms.CharField(
        label="核实意见／不通过原因",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="不通过时必填，申报主体将看到该原因",
    )

from django import forms

from apps.subjects.codes import check_id_number

from .choices import MaterialKind, NoticeServiceMethod
from .materials import ACCEPTED_LABEL, material_check

_FILE = forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _file(label, help_text=""):
    return forms.FileField(
        label=label, required=False, widget=_FILE, help_text=help_text or f"{ACCEPTED_LABEL}，按内容校验"
    )


class RecordChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.record_type.name} {obj.decision_number}（{obj.decision_date:%Y-%m-%d}，{obj.department.name}）"


class RepairApplyForm(forms.Form):
    records = RecordChoiceField(
        label="申请修复的信息",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请选择要修复的信息。"},
    )
    contact_name = forms.CharField(label="联系人", max_length=50, error_messages={"required": "请填写联系人。"})
    contact_phone = forms.CharField(label="联系电话", max_length=20, error_messages={"required": "请填写联系电话。"})
    contact_email = forms.EmailField(label="电子邮箱", required=False, help_text="办理结果同时以邮件告知")
    statement = forms.CharField(
        label="纠正失信行为情况说明",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="如：罚款已于某日缴清，违法行为已整改完毕",
        error_messages={"required": "请说明履行法定义务、纠正失信行为的情况。"},
    )
    commitment = _file(MaterialKind.COMMITMENT.label, "下载承诺书，签字盖章后扫描上传（PDF、JPG、PNG）")
    fulfilment = _file(MaterialKind.FULFILMENT.label, "如罚款缴纳凭证、整改报告（PDF、JPG、PNG）")
    training = _file(MaterialKind.TRAINING.label, "严重失信信息须提交")
    credit_report = _file(MaterialKind.CREDIT_REPORT.label, "严重失信信息须提交")

    MATERIAL_FIELDS = ("commitment", "fulfilment", "training", "credit_report")

    def __init__(self, *args, records=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["records"].queryset = records

    def materials(self):
        return [(name, self.cleaned_data.get(name)) for name in self.MATERIAL_FIELDS]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="意见/理由", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VerifyForm(forms.Form):
    agrees = forms.TypedChoiceField(
        label="核实意见",
        choices=[("1", "同意修复"), ("0", "不同意修复")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(label="核实情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class SupplementForm(forms.Form):
    kind = forms.ChoiceField(label="材料类别", choices=[c for c in MaterialKind.choices if c[0] != "evidence"])
    file = forms.FileField(label="补充材料", widget=_FILE, help_text=f"{ACCEPTED_LABEL}，按内容校验")
    note = forms.CharField(label="说明", max_length=500, required=False)


class ObjectionForm(forms.Form):
    """The public and the subject's objection form; the ID number and the file are checked here too, so every
    problem shows at once."""

    contact_name = forms.CharField(
        label="姓名或单位名称", max_length=50, error_messages={"required": "请填写姓名或单位名称。"}
    )
    contact_phone = forms.CharField(label="联系电话", max_length=20, error_messages={"required": "请填写联系电话。"})
    contact_email = forms.EmailField(label="电子邮箱", required=False, help_text="答复将发送到此邮箱（未登录时必填）")
    contact_id_number = forms.CharField(
        label="身份证号码", max_length=18, required=False, help_text="自然人申请时填写，仅保存脱敏号码"
    )
    relation = forms.CharField(
        label="与该信息的关系",
        max_length=100,
        help_text="如：本信息所涉主体、法定代表人、利害关系人",
        error_messages={"required": "请说明您与该信息的关系。"},
    )
    grounds = forms.CharField(
        label="异议内容及理由",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请写明异议内容及理由。"},
    )
    requested_change = forms.CharField(
        label="请求更正的内容", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = _file("证明材料")

    def __init__(self, *args, anonymous=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.anonymous = anonymous

    def clean_contact_email(self):
        email = self.cleaned_data.get("contact_email", "")
        if self.anonymous and not email:
            raise forms.ValidationError("未登录提交的，请填写电子邮箱，以便接收答复。")
        return email

    def clean_contact_id_number(self):

        number = self.cleaned_data.get("contact_id_number", "").strip()
        if number:
            result = check_id_number(number)
            if not result.valid:
                raise forms.ValidationError([f"身份证号码：{e}" for e in result.errors])
        return number

    def clean_evidence(self):

        uploaded = self.cleaned_data.get("evidence")
        if uploaded:
            _checked, problems = material_check(uploaded)
            if problems:
                raise forms.ValidationError(problems)
        return uploaded


class ObjectionCloseForm(forms.Form):
    reply = forms.CharField(label="给申请人的答复", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ObjectionCorrectForm(ObjectionCloseForm):
    field = forms.ChoiceField(label="更正字段")
    value = forms.CharField(label="更正后的内容", max_length=2000)

    def __init__(self, *args, specs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [(s.code, s.label) for s in specs]
        self.order_fields(["field", "value", "reply"])


class PeriodForm(forms.Form):
    date_from = forms.DateField(label="起始日期", widget=_DATE)
    date_to = forms.DateField(label="截止日期", widget=_DATE)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data


class NoticeServiceForm(forms.Form):
    """When and how the 信用修复告知书 was served; served on the decision date it counts as 两书同达."""

    served_on = forms.DateField(label="送达日期", widget=_DATE, help_text="与处罚决定日期相同即为“两书同达”")
    method = forms.ChoiceField(label="送达方式", choices=NoticeServiceMethod.choices)
    note = forms.CharField(label="备注", max_length=200, required=False)


class BulkNoticeServiceForm(NoticeServiceForm):
    """The same date and method for the selected penalties of one upload."""

    records = forms.ModelMultipleChoiceField(
        label="行政处罚",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一条行政处罚。", "invalid_choice": "所选记录不在本批次中。"},
    )

    def __init__(self, *args, records, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["records"].queryset = records
        self.fields["records"].label_from_instance = lambda r: f"{r.decision_number} {r.subject_name}"

from django import forms
from django.contrib.auth.forms import UserCreationForm

from .choices import DEPARTMENT_ROLES, SubjectAccountKind
from .models import Department, SubjectClaim, User


class SubjectRegistrationForm(UserCreationForm):
    full_name = forms.CharField(label="联系人姓名", max_length=50)
    phone = forms.RegexField(label="手机号码", regex=r"^1\d{10}$", error_messages={"invalid": "请输入11位手机号码。"})
    email = forms.EmailField(label="电子邮箱")
    account_kind = forms.ChoiceField(label="账号类型", choices=SubjectAccountKind.choices)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "phone", "email", "account_kind")


class SubjectClaimForm(forms.ModelForm):
    class Meta:
        model = SubjectClaim
        fields = ("code", "subject_name", "evidence")
        labels = {"code": "统一社会信用代码 / 身份证号码", "subject_name": "主体名称（须与登记名称一致）"}
        widgets = {"evidence": forms.Textarea(attrs={"rows": 3})}


class ClaimLockForm(forms.Form):
    action = forms.ChoiceField(choices=[("lock", "暂停认领"), ("unlock", "解除暂停")], label="操作")
    note = forms.CharField(label="说明", max_length=200, required=False)


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "通过"), ("reject", "驳回")], label="审核结论")
    note = forms.CharField(label="审核意见", max_length=200, required=False)


class UserAdminForm(forms.ModelForm):
    """Used by platform admins to create and edit back-office accounts."""

    password = forms.CharField(
        label="初始密码", widget=forms.PasswordInput, required=False, help_text="新建账号必填；编辑时留空则不修改。"
    )

    class Meta:
        model = User
        fields = ("username", "full_name", "email", "phone", "role", "department", "is_active")

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("password"):
            self.add_error("password", "新建账号必须设置初始密码。")
        # The department rule is the model's (User.clean, run next by the ModelForm): stating it here too
        # showed the message twice. A role without a department just drops a department left selected.
        if cleaned.get("role") and cleaned["role"] not in DEPARTMENT_ROLES:
            cleaned["department"] = None
        if cleaned.get("password"):
            from django.contrib.auth.password_validation import validate_password

            try:
                validate_password(cleaned["password"], self.instance)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.cleaned_data.get("password"):
            user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
        return user


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ("code", "name", "uscc", "region_code", "powers", "requires_review", "is_active")
        widgets = {"powers": forms.CheckboxSelectMultiple}

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from .choices import SubjectKind
from .models import Subject
from .services import subject_prepare


class SubjectAdminForm(forms.ModelForm):
    """Admin edits go through ``subject_prepare`` like every other write.

    The ID number can be entered or corrected here but is never shown back: the
    input does not re-render its value, and the page shows the masked number.
    """

    id_number = forms.CharField(
        label="身份证号码",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="仅自然人；仅在登记或更正时填写，留空则保留原号码。保存后只显示脱敏号码。",
    )

    class Meta:
        model = Subject
        fields = (
            "kind",
            "name",
            "status",
            "legal_representative",
            "region_code",
            "uscc",
            "registration_number",
            "organization_code",
            "tax_number",
            "institution_number",
            "social_org_number",
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("id_number") and cleaned.get("kind") != SubjectKind.PERSON:
            self.add_error("id_number", "只有自然人登记身份证号码。")
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        try:
            subject_prepare(subject=self.instance, id_number=self.cleaned_data.get("id_number") or None, strict=True)
        except ValidationError as exc:
            self._update_errors(exc)


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    form = SubjectAdminForm
    list_display = ("name", "kind", "uscc", "id_number_masked", "code_valid", "status", "updated_at")
    list_filter = ("kind", "public_body", "status", "code_valid")
    search_fields = ("name", "uscc")
    readonly_fields = ("id_number_masked", "code_valid", "code_warnings", "created_at", "updated_at")
    # id_number_hash / id_number_encrypted are editable=False and deliberately not listed anywhere here.
    fieldsets = (
        (None, {"fields": ("kind", "public_body", "name", "status", "legal_representative", "region_code")}),
        ("统一社会信用代码", {"fields": ("uscc", "code_valid", "code_warnings")}),
        (
            "旧代码",
            {
                "fields": (
                    "registration_number",
                    "organization_code",
                    "tax_number",
                    "institution_number",
                    "social_org_number",
                )
            },
        ),
        ("身份证号码", {"fields": ("id_number_masked", "id_number")}),
        ("时间", {"fields": ("created_at", "updated_at")}),
    )
    show_full_result_count = False  # avoids a second COUNT(*) over the whole table on every page

"""Web forms generated from the catalog: a new record type gets its form with no code.

The form only collects text; every rule (required, enumerations, dates, codes,
cross-field) is enforced by the shared pipeline, whose problems are put back
on the matching fields, so the form and the upload can never disagree.
"""

import re

from django import forms
from django.utils.html import escape

from apps.catalog.choices import FieldType
from apps.catalog.spec import TypeSpec

_WIDGET_ATTRS = {"autocomplete": "off"}


_SEPARATOR_HINT = re.compile(r"[，,]?\s*(用|以)?[“\"]?[;；、,，][”\"]?(号)?分隔")


def _form_field(spec) -> forms.Field:
    # Help text is rendered as HTML (as Django does for its own forms); catalog text is data staff
    # edit, so it is escaped here and can never carry markup or script.
    common = {"label": spec.label, "required": False, "help_text": escape(spec.help_text)}
    if spec.field_type == FieldType.ENUM:
        return forms.ChoiceField(choices=[("", "— 请选择 —"), *[(c, c) for c in spec.choices]], **common)
    if spec.field_type == FieldType.MULTI_ENUM:
        # The catalog's hint is written for spreadsheets ("可多选，用“;”分隔"); on the web these are checkboxes.
        common["help_text"] = _SEPARATOR_HINT.sub("", common["help_text"]).strip("，, ") or "可多选"
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in spec.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    if spec.field_type == FieldType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.field_type == FieldType.OPEN_DATE:
        common["help_text"] = common["help_text"] or "长期有效填“长期”或 2099-12-31"
        return forms.CharField(widget=forms.TextInput(attrs={"placeholder": "如 2029-09-26 或 长期"}), **common)
    max_length = spec.max_length if spec.field_type == FieldType.TEXT else 64
    if spec.field_type == FieldType.TEXT and (spec.max_length or 0) > 200:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=max_length, **common)
    return forms.CharField(max_length=max_length, widget=forms.TextInput(attrs=_WIDGET_ATTRS), **common)


class RecordForm(forms.Form):
    def __init__(self, *args, spec: TypeSpec, with_reason=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        for field_spec in spec.fields:
            field = _form_field(field_spec)
            field.required_mark = field_spec.required
            self.fields[field_spec.code] = field
        if with_reason:
            self.fields["_reason"] = forms.CharField(label="更正说明", max_length=500, help_text="说明更正的内容和原因")

    def row(self) -> dict:
        """The cleaned form as a pipeline row: multi-selects joined as the template would write them."""
        row = {}
        for spec in self.spec.fields:
            value = self.cleaned_data.get(spec.code)
            if isinstance(value, list):
                value = ";".join(value)
            if value not in (None, ""):
                row[spec.code] = value
        return row

    def add_problems(self, problems):
        for problem in problems:
            self.add_error(problem.field if problem.field in self.fields else None, problem.message)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500)

"""Export for the provincial platform: a department's (or, for the center, any department's) records of a period."""

import datetime
import logging

from django import forms
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views import View

from apps.accounts.models import Department
from apps.accounts.permissions import CENTER_ROLES, StaffRequiredMixin, has_role
from apps.catalog.models import RecordType

from .export import XLSX_CONTENT_TYPE, csv_lines, write_xlsx
from .selectors import export_field_specs, export_records

logger = logging.getLogger(__name__)

BASIS_CHOICES = (("decision", "按决定日期"), ("reported", "按报送日期"))
FORMAT_CHOICES = (("xlsx", "Excel 文件（.xlsx）"), ("csv", "CSV 文件（UTF-8，.csv）"))
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _last_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


class ExportForm(forms.Form):
    record_type = forms.ModelChoiceField(
        label="信息类型",
        queryset=RecordType.objects.filter(is_active=True).order_by("sort_order", "code"),
        to_field_name="code",
        empty_label=None,
    )
    department = forms.ModelChoiceField(
        label="报送部门",
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label="全部部门",
    )
    basis = forms.ChoiceField(label="期间口径", choices=BASIS_CHOICES, initial="decision")
    date_from = forms.DateField(label="起始日期", widget=_DATE)
    date_to = forms.DateField(label="截止日期", widget=_DATE)
    fmt = forms.ChoiceField(label="文件格式", choices=FORMAT_CHOICES, initial="xlsx")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.for_center = has_role(user, CENTER_ROLES)
        if not self.for_center:
            # Department staff export their own department's records only.
            del self.fields["department"]
        start, end = _last_month(timezone.localdate())
        self.fields["date_from"].initial = start
        self.fields["date_to"].initial = end

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "截止日期不能早于起始日期。")
        if not self.for_center and not getattr(self.user, "department_id", None):
            raise forms.ValidationError("账号未设置所属部门，不能导出。")
        return data

    @property
    def export_department(self):
        if not self.for_center:
            return self.user.department
        return self.cleaned_data.get("department")


class _ExportBase(StaffRequiredMixin, View):
    template_name = "records/export.html"

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {"form": form}, status=status)


class ExportView(_ExportBase):
    """The form: type, department (center only), period and format."""

    def get(self, request):
        return self.render_form(ExportForm(user=request.user))


class ExportDownloadView(_ExportBase):
    """GET with the form's fields: the file, or the form again with its errors (400)."""

    def get(self, request):
        form = ExportForm(request.GET, user=request.user)
        if not form.is_valid():
            return self.render_form(form, status=400)
        data = form.cleaned_data
        record_type, department = data["record_type"], form.export_department
        specs = export_field_specs(record_type)
        records = export_records(
            record_type=record_type,
            department=department,
            basis=data["basis"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
        filename = "{}_{}_{:%Y%m%d}-{:%Y%m%d}.{}".format(
            record_type.name,
            department.name if department else "全部部门",
            data["date_from"],
            data["date_to"],
            data["fmt"],
        )
        logger.info(
            "records export by %s: type=%s department=%s basis=%s %s..%s format=%s",
            request.user.username,
            record_type.code,
            department.code if department else "*",
            data["basis"],
            data["date_from"],
            data["date_to"],
            data["fmt"],
        )
        if data["fmt"] == "csv":
            response = StreamingHttpResponse(csv_lines(records, specs), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = content_disposition_header(True, filename)
        else:
            handle = write_xlsx(records, specs, title=record_type.name)
            response = FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
        response["Cache-Control"] = "no-store"
        return response

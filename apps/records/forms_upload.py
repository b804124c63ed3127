from django import forms
from django.db.models import Q

from apps.accounts.models import Department
from apps.catalog.models import RecordType
from apps.catalog.spec import TypeSpec

from .intake.guards import UploadError
from .intake.rows import max_upload_bytes
from .intake.table import inspect_file


class RecordTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.get_family_display()}）"


def department_may_report(department, record_type) -> bool:
    """A type tied to a power (行政处罚, 行政许可…) is reported by departments holding that power."""
    return not record_type.power_id or department.powers.filter(pk=record_type.power_id).exists()


class UploadForm(forms.Form):
    record_type = RecordTypeChoiceField(
        label="信息类型",
        queryset=RecordType.objects.filter(is_active=True),
        to_field_name="code",
        empty_label="请选择",
    )
    department = forms.ModelChoiceField(
        label="报送部门",
        queryset=Department.objects.filter(is_active=True),
        to_field_name="code",
        empty_label="请选择",
        help_text="信用中心代部门上传时选择数据所属部门。",
    )
    file = forms.FileField(
        label="文件",
        error_messages={
            "empty": "文件是空的（0 字节），请选择填好数据的文件。",
            "required": "请选择要上传的文件。",
            "invalid": "没有收到文件，请重新选择。",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.table = None
        limit = max_upload_bytes() // 1024 // 1024
        self.fields[
            "file"
        ].help_text = f"支持 .xlsx 工作簿和 .csv 文件（UTF-8 或 GBK 编码），不超过 {limit} MB。表头须与导入模板一致。"
        if not (user.is_superuser or user.is_center):
            del self.fields["department"]
            self.fields["record_type"].queryset = RecordType.objects.filter(is_active=True).filter(
                Q(power__isnull=True) | Q(power__in=user.department.powers.all())
            )

    def clean(self):
        cleaned = super().clean()
        record_type, upload = cleaned.get("record_type"), cleaned.get("file")
        department = cleaned.get("department") if "department" in self.fields else self.user.department
        cleaned["department"] = department
        if record_type and department and not department_may_report(department, record_type):
            self.add_error(
                "record_type", f"{department.name}没有“{record_type.power}”职权，不能报送{record_type.name}信息。"
            )
            return cleaned
        if record_type is None or upload is None:
            return cleaned
        try:
            self.table = inspect_file(upload.file, upload.name, upload.size, TypeSpec.load(record_type))
        except UploadError as exc:
            for message in exc.messages:
                self.add_error("file", message)
        finally:
            upload.seek(0)
        return cleaned

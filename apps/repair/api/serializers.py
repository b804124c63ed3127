from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import NoticeServiceMethod
from ..models import Objection, RepairApplication


class _CaseSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    due_flag_display = serializers.CharField(source="get_due_flag_display", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    record_id = serializers.IntegerField(read_only=True)
    record_type = serializers.CharField(source="record.record_type.code", read_only=True)
    decision_number = serializers.CharField(source="record.decision_number", read_only=True)
    decision_date = serializers.DateField(source="record.decision_date", read_only=True)
    subject_name = serializers.CharField(source="record.subject_name", read_only=True)
    subject_code = serializers.SerializerMethodField(help_text="统一社会信用代码；自然人为脱敏身份证号码")
    url = serializers.SerializerMethodField(help_text="平台办理页面地址（须登录）")

    CASE_FIELDS = (
        "number",
        "state",
        "state_display",
        "department",
        "record_id",
        "record_type",
        "decision_number",
        "decision_date",
        "subject_name",
        "subject_code",
        "created_at",
        "step_started_on",
        "due_on",
        "due_flag",
        "due_flag_display",
        "url",
    )

    @extend_schema_field(serializers.CharField())
    def get_subject_code(self, obj) -> str:
        subject = obj.record.subject
        return subject.public_code if subject else ""

    def _url(self, name, obj) -> str:
        request = self.context.get("request")
        path = reverse(name, args=[obj.pk])
        return request.build_absolute_uri(path) if request else path


class RepairCaseSerializer(_CaseSerializer):
    class Meta:
        model = RepairApplication
        fields = _CaseSerializer.CASE_FIELDS
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_url(self, obj) -> str:
        return self._url("repair:detail", obj)


class ObjectionCaseSerializer(_CaseSerializer):
    class Meta:
        model = Objection
        fields = (*_CaseSerializer.CASE_FIELDS, "relation", "grounds", "requested_change")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_url(self, obj) -> str:
        return self._url("repair:objection_detail", obj)


class NoticeServiceSerializer(serializers.Serializer):
    """When and how a penalty's 信用修复告知书 was served; ``served_with_decision`` (两书同达) is derived."""

    served_on = serializers.DateField(help_text="送达日期（YYYY-MM-DD），不早于处罚决定日期、不晚于今天")
    method = serializers.ChoiceField(
        choices=NoticeServiceMethod.choices,
        help_text="in_person 当场送达 / post 邮寄送达 / electronic 电子送达 / public 公告送达 / other 其他",
    )
    method_display = serializers.CharField(source="get_method_display", read_only=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    served_with_decision = serializers.BooleanField(read_only=True, help_text="两书同达：送达日期与处罚决定日期相同")
    recorded_at = serializers.DateTimeField(read_only=True)


class RecordNoticeSerializer(serializers.Serializer):
    record_id = serializers.IntegerField(source="pk")
    decision_number = serializers.CharField()
    decision_date = serializers.DateField()
    notice_pdf = serializers.SerializerMethodField(help_text="告知书 PDF 的接口地址")
    service = serializers.SerializerMethodField(help_text="送达登记；尚未登记时为 null")

    @extend_schema_field(serializers.CharField())
    def get_notice_pdf(self, record) -> str:
        return reverse("api-v1:repair-notice-pdf", args=[record.pk])

    @extend_schema_field(NoticeServiceSerializer(allow_null=True))
    def get_service(self, record):
        service = getattr(record, "notice_service", None)
        return NoticeServiceSerializer(service).data if service else None

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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
        "number", "state", "state_display", "department", "record_id", "record_type", "decision_number",
        "decision_date", "subject_name", "subject_code", "created_at", "step_started_on", "due_on", "due_flag",
        "due_flag_display", "url",
    )  # fmt: skip

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

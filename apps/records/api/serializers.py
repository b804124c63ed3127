from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from apps.subjects.api.fields import MaskedCharField

from ..models import Record
from ..selectors import MULTI_JOIN, public_fields

# One call is one intake batch (``services.BATCH_SIZE``): one transaction, one answer.
MAX_BATCH = 1000
_SCALARS = (str, int, float, Decimal)


def _value_ok(value) -> bool:
    if isinstance(value, bool):
        return False
    if value is None or isinstance(value, _SCALARS):
        return True
    return isinstance(value, list) and all(isinstance(v, _SCALARS) and not isinstance(v, bool) for v in value)


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "description": "一条记录：键为国家标准字段代码（如 CF_WSH），也可用模板表头；值为文本或数字，多选字段可用数组。",
            "additionalProperties": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "number"},
                    {"type": "array", "items": {"type": "string"}},
                ],
                "nullable": True,
            },
        },
        "minItems": 1,
        "maxItems": MAX_BATCH,
    }
)
class RecordRowsField(serializers.Field):
    """The ``records`` array: checked by hand so every message is specific and in Chinese."""

    default_error_messages = {
        "required": '缺少 records：请求体应为 {{"records": [{{字段代码: 取值, …}}, …]}}。',
        "null": "records 不能为 null，应为记录数组。",
    }

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError(f"records 应为数组（JSON array），收到的是 {_json_type(data)}。")
        if not data:
            raise serializers.ValidationError("records 为空：至少提交一条记录。")
        if len(data) > MAX_BATCH:
            raise serializers.ValidationError(f"每次最多提交 {MAX_BATCH} 条记录，本次为 {len(data)} 条，请分批提交。")
        errors = {}
        for index, row in enumerate(data):
            if not isinstance(row, dict):
                errors[index] = [f"第 {index} 条（从 0 起）应为对象（JSON object），收到的是 {_json_type(row)}。"]
                continue
            wrong = [key for key, value in row.items() if not _value_ok(value)]
            if wrong:
                errors[index] = [
                    f"字段 {key} 的取值应为文本或数字（多选字段可为文本数组），收到的是 {_json_type(row[key])}。"
                    for key in wrong
                ]
        if errors:
            raise serializers.ValidationError(errors)
        return [
            {
                key: MULTI_JOIN.join(str(v) for v in value) if isinstance(value, list) else value
                for key, value in row.items()
            }
            for row in data
        ]

    def to_representation(self, value):
        return value


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, dict):
        return "对象"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, str):
        return "文本"
    if isinstance(value, int | float | Decimal):
        return "数字"
    return type(value).__name__


class BatchRequestSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        f'请求体应为 JSON 对象，例如 {{"records": [ … ]}}，收到的是 {_json_type(data)}。'
                    ]
                }
            )
        return super().to_internal_value(data)

    department = serializers.SlugField(
        required=False,
        help_text="报送部门代码。部门系统与部门填报员可省略（取 API Key 或账号所属部门）；信用中心工作人员必填。",
        error_messages={"invalid": "department 应为部门代码（字母、数字、下划线或连字符）。"},
    )
    records = RecordRowsField(help_text=f"记录数组，每次 1–{MAX_BATCH} 条。")


class ProblemSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="字段代码；空表示整条记录")
    label = serializers.CharField(help_text="字段名称")
    message = serializers.CharField(help_text="问题说明（中文）")


class RowResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="在 records 数组中的位置，从 0 起")
    row = serializers.IntegerField(help_text="第几条（从 1 起，提示信息中的“第N行”即此值）")
    outcome = serializers.ChoiceField(
        choices=["accepted", "updated", "duplicate", "rejected"],
        help_text="accepted 新增；updated 同一文书号内容有变化，已更正并留痕；duplicate 与已有记录相同，未改动；rejected 不合规，未入库",
    )
    decision_number = serializers.CharField(allow_blank=True)
    record_id = serializers.IntegerField(allow_null=True)
    problems = ProblemSerializer(many=True)
    warnings = ProblemSerializer(many=True)


class BatchSummarySerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="新增与更正的条数")
    rejected = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class BatchResponseSerializer(serializers.Serializer):
    summary = BatchSummarySerializer()
    results = RowResultSerializer(many=True)


class RecordSerializer(serializers.ModelSerializer):
    """A record as its department (or the center) sees it. ``data`` holds ID numbers masked."""

    record_type = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="信息类型代码")
    record_type_name = serializers.CharField(source="record_type.name", read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="报送部门代码")
    department_name = serializers.CharField(source="department.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    data = serializers.SerializerMethodField(help_text="字段数据，键为国家标准字段代码；证件号码已脱敏")

    class Meta:
        model = Record
        fields = (
            "id",
            "record_type",
            "record_type_name",
            "department",
            "department_name",
            "subject_name",
            "subject_kind",
            "subject_code",
            "decision_number",
            "decision_date",
            "valid_to",
            "severity",
            "severity_source",
            "status",
            "status_display",
            "report_deadline",
            "deadline_calendar",
            "reported_at",
            "published_at",
            "timely",
            "is_publicised",
            "publicity_start",
            "publicity_min_end",
            "publicity_end",
            "under_objection",
            "under_repair",
            "repaired",
            "source",
            "catalog_version",
            "created_at",
            "updated_at",
            "data",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, record):
        return record.data


class PublicRecordSerializer(serializers.ModelSerializer):
    """A record as the public sees it: public catalog fields only, personal data masked."""

    record_type = serializers.CharField(source="record_type.code", read_only=True, help_text="信息类型代码")
    record_type_name = serializers.CharField(source="record_type.name", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True, help_text="决定部门代码")
    department_name = serializers.CharField(source="department.name", read_only=True)
    subject_name = MaskedCharField(help_text="行政相对人名称（其中的身份证号码、手机号码已脱敏）")
    decision_number = MaskedCharField(help_text="决定文书号（其中的身份证号码、手机号码已脱敏）")
    data = serializers.SerializerMethodField(help_text="公开字段，键为国家标准字段代码，按目录顺序")
    labels = serializers.SerializerMethodField(help_text="公开字段的中文名称，键为字段代码")
    severity = serializers.SerializerMethodField(
        help_text="失信程度：minor 轻微 / general 一般 / serious 严重（仅行政处罚）"
    )
    severity_display = serializers.SerializerMethodField(help_text="失信程度中文名称，如“严重失信”（仅行政处罚）")

    class Meta:
        model = Record
        fields = (
            "id",
            "record_type",
            "record_type_name",
            "department",
            "department_name",
            "subject_name",
            "subject_code",
            "decision_number",
            "decision_date",
            "severity",
            "severity_display",
            "publicity_start",
            "publicity_end",
            "under_objection",
            "under_repair",
            "data",
            "labels",
        )
        read_only_fields = fields

    # Severity means something for penalties only (a licence is not a 失信 record).
    @extend_schema_field({"type": "string", "nullable": True})
    def get_severity(self, record):
        return record.severity if record.record_type.code == "penalty" else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_severity_display(self, record):
        return record.get_severity_display() if record.record_type.code == "penalty" else None

    def _fields(self, record):
        memo = self.context.setdefault("_public_fields", {})
        if record.pk not in memo:
            specs = self.context["public_specs"].get(record.record_type_id, [])
            memo[record.pk] = public_fields(record, specs)
        return memo[record.pk]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_data(self, record):
        return {f.code: f.value for f in self._fields(record)}

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_labels(self, record):
        return {f.code: f.label for f in self._fields(record)}

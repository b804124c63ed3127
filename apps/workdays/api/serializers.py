from rest_framework import serializers

from ..choices import CalendarSource, OverrideKind
from ..models import CalendarOverride
from ..services import MAX_DAYS

_DATE_FORMAT_HINT = "格式为 YYYY-MM-DD，例如 2024-09-27"


class DeadlineQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        input_formats=["iso-8601"],
        help_text="起算日期（决定日期），当天不计入。",
        error_messages={
            "required": f"请填写起算日期 start（{_DATE_FORMAT_HINT}）。",
            "null": f"请填写起算日期 start（{_DATE_FORMAT_HINT}）。",
            "invalid": f"起算日期 start 不是有效日期，{_DATE_FORMAT_HINT}。",
            "datetime": f"起算日期 start 只填日期，不含时间，{_DATE_FORMAT_HINT}。",
        },
    )
    days = serializers.IntegerField(
        min_value=0,
        max_value=MAX_DAYS,
        help_text=f"工作日天数，0–{MAX_DAYS}。",
        error_messages={
            "required": "请填写工作日天数 days。",
            "null": "请填写工作日天数 days。",
            "invalid": "工作日天数 days 必须是整数。",
            "min_value": "工作日天数 days 不能为负数。",
            "max_value": f"工作日天数 days 不能超过 {MAX_DAYS}。",
            "max_string_length": "工作日天数 days 数值过大。",
        },
    )


class DeadlineSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="起算日期（不计入）。")
    days = serializers.IntegerField(help_text="工作日天数。")
    deadline = serializers.DateField(help_text="期限届满日：起算日之后的第 days 个工作日。")
    calendar = serializers.ChoiceField(
        choices=CalendarSource.choices,
        help_text="取所涉年度中最弱的来源。official：全部日期都在国家放假安排已收录的年度；"
        "estimated：涉及未收录年度，按《全国年节及纪念日放假办法》推算法定节假日（含适逢周末的补假），"
        "未含调休上班日；fallback：涉及两者都不覆盖的年度，除信用中心录入的调整外按周一至周五推定。",
    )


class CalendarOverrideSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=OverrideKind.choices,
        help_text="holiday：放假（非工作日）；workday：调休上班（工作日）。",
        error_messages={
            "required": "请选择类型 kind（holiday 或 workday）。",
            "invalid_choice": "类型 kind 只能是 holiday（放假）或 workday（调休上班）。",
            "null": "请选择类型 kind（holiday 或 workday）。",
        },
    )
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CalendarOverride
        fields = ("date", "kind", "kind_display", "note", "created_by", "created_at")
        read_only_fields = ("created_by", "created_at")
        extra_kwargs = {
            "date": {
                # Posting an existing date updates it, so the model's unique
                # check must not reject it here.
                "validators": [],
                "input_formats": ["iso-8601"],
                "error_messages": {
                    "required": f"请填写日期 date（{_DATE_FORMAT_HINT}）。",
                    "null": f"请填写日期 date（{_DATE_FORMAT_HINT}）。",
                    "invalid": f"日期 date 不是有效日期，{_DATE_FORMAT_HINT}。",
                    "datetime": f"日期 date 只填日期，不含时间，{_DATE_FORMAT_HINT}。",
                },
            },
            "note": {"error_messages": {"max_length": "说明 note 不能超过 {max_length} 个字。"}},
        }

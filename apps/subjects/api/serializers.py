from rest_framework import serializers

CODE_TYPES = (("uscc", "统一社会信用代码"), ("id_card", "居民身份证号码"))


class CodeCheckQuerySerializer(serializers.Serializer):
    code = serializers.CharField(
        label="代码",
        max_length=64,
        trim_whitespace=True,
        help_text="待校验的代码；接受小写和全角字符，按大写半角校验。",
        error_messages={"required": "请提供待校验的代码（参数 code）。", "blank": "请提供待校验的代码（参数 code）。"},
    )
    type = serializers.ChoiceField(
        label="代码类型",
        choices=CODE_TYPES,
        default="uscc",
        help_text="uscc：统一社会信用代码（默认）；id_card：居民身份证号码（结果只返回脱敏号码）。",
        error_messages={"invalid_choice": "代码类型“{input}”无效，应为 uscc 或 id_card。"},
    )


class CodeCheckResultSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="规范化后的代码（大写半角）；身份证号码只返回脱敏形式，如 371083********123X。"
    )
    valid = serializers.BooleanField(help_text="是否通过校验。")
    errors = serializers.ListField(child=serializers.CharField(), help_text="不通过的原因。")
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="通过校验但需人工核实的疑点（疑似错码），如组织机构代码校验位不符、行政区划码未知。",
    )
